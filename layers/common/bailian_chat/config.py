"""Settings, read once from the environment and validated. The only module that reads os.environ."""

import functools
import os
from dataclasses import dataclass

SINGAPORE_BASE_URL = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
DEFAULT_MODELS = (
    "qwen-vl-max-latest",
    "qwen-vl-max",
    "qwen-vl-plus",
    "qwen-max",
    "qwen-plus",
    "qwen-turbo",
)


class ConfigError(RuntimeError):
    """A setting is missing or malformed: the function cannot start."""


@dataclass(frozen=True)
class Settings:
    table_name: str
    dynamodb_endpoint: str | None
    region: str
    jwt_secret: str | None
    jwt_secret_arn: str | None
    jwt_issuer: str
    access_token_ttl: int
    refresh_token_ttl: int
    login_max_failures: int
    login_lockout_seconds: int
    cors_allow_origin: str
    allowed_models: tuple[str, ...]
    bailian_base_url: str
    bailian_api_key: str | None
    bailian_api_key_secret_arn: str | None
    bailian_deadline_seconds: float
    bailian_max_attempts: int
    rate_limit_per_minute: int
    reply_history_messages: int
    reply_history_chars: int
    metrics_namespace: str
    audit_retention_days: int


def _positive[N: (int, float)](env: dict, name: str, default: N, kind: type[N] = int) -> N:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = kind(raw)
    except ValueError as exc:
        expected = "an integer" if kind is int else "a number"
        raise ConfigError(f"{name} must be {expected}, got {raw!r}") from exc
    if value <= 0:
        raise ConfigError(f"{name} must be > 0, got {value}")
    return value


def load_settings(env: dict | None = None) -> Settings:
    env = os.environ if env is None else env
    table_name = env.get("TABLE_NAME", "")
    if not table_name:
        raise ConfigError("TABLE_NAME is not set")
    jwt_secret = env.get("JWT_SECRET") or None
    jwt_secret_arn = env.get("JWT_SECRET_ARN") or None
    if not (jwt_secret or jwt_secret_arn):
        raise ConfigError("Set JWT_SECRET (local) or JWT_SECRET_ARN (AWS)")
    if jwt_secret is not None and len(jwt_secret) < 32:
        raise ConfigError("JWT_SECRET must be at least 32 characters")
    models = tuple(m.strip() for m in env.get("ALLOWED_MODELS", "").split(",") if m.strip())
    return Settings(
        table_name=table_name,
        dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT") or None,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        jwt_secret=jwt_secret,
        jwt_secret_arn=jwt_secret_arn,
        jwt_issuer=env.get("JWT_ISSUER") or "bailian-chat-api",
        access_token_ttl=_positive(env, "ACCESS_TOKEN_TTL_SECONDS", 3600),
        refresh_token_ttl=_positive(env, "REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600),
        login_max_failures=_positive(env, "LOGIN_MAX_FAILURES", 5),
        login_lockout_seconds=_positive(env, "LOGIN_LOCKOUT_SECONDS", 900),
        cors_allow_origin=env.get("CORS_ALLOW_ORIGIN") or "*",
        allowed_models=models or DEFAULT_MODELS,
        bailian_base_url=(env.get("BAILIAN_BASE_URL") or SINGAPORE_BASE_URL).rstrip("/"),
        bailian_api_key=env.get("DASHSCOPE_API_KEY") or None,
        bailian_api_key_secret_arn=env.get("BAILIAN_API_KEY_SECRET_ARN") or None,
        # API Gateway gives up at 29 s: the whole model call, retries included, must end before.
        bailian_deadline_seconds=_positive(env, "BAILIAN_DEADLINE_SECONDS", 25.0, float),
        bailian_max_attempts=_positive(env, "BAILIAN_MAX_ATTEMPTS", 3),
        rate_limit_per_minute=_positive(env, "RATE_LIMIT_PER_MINUTE", 60),
        reply_history_messages=_positive(env, "REPLY_HISTORY_MESSAGES", 40),
        reply_history_chars=_positive(env, "REPLY_HISTORY_CHARS", 48_000),
        metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE") or "BailianChat",
        audit_retention_days=_positive(env, "AUDIT_RETENTION_DAYS", 365),
    )


@functools.cache
def get_settings() -> Settings:
    return load_settings()
