"""Settings, read once from the environment and validated. The only module that reads os.environ."""

import functools
import json
import os
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

SINGAPORE_BASE_URL = "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
SPEC_MODELS = (
    "qwen-vl-max-latest",
    "qwen-vl-max",
    "qwen-vl-plus",
    "qwen-max",
    "qwen-plus",
    "qwen-turbo",
)
# The spec's models, then current ones (what each accepts: chat/model_catalog.json).
DEFAULT_MODELS = (
    *SPEC_MODELS,
    "qwen3-max",
    "qwen3-vl-plus",
    "qwen3-vl-flash",
    "qwen-plus-latest",
    "qwen-flash",
    "qwq-plus",
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
    # The server-side key of the API keys' HMAC-SHA-256 digests (local value or Secrets Manager).
    api_key_digest_secret: str | None
    api_key_digest_secret_arn: str | None
    jwt_issuer: str
    access_token_ttl: int
    refresh_token_ttl: int
    login_max_failures: int
    login_lockout_seconds: int
    cors_allow_origin: str
    allowed_models: tuple[str, ...]
    model_catalog: dict[str, dict]
    bailian_base_url: str
    bailian_api_key: str | None
    bailian_api_key_secret_arn: str | None
    bailian_deadline_seconds: float
    bailian_stream_deadline_seconds: float
    bailian_max_attempts: int
    rate_limit_per_minute: int
    # PRICE_TABLE: JSON object of model -> price entry (and optionally "currency") over prices.json.
    price_table: str
    # Deployment-wide spend limits per user, decimal strings in the price table's currency (None: none).
    daily_spend_limit: str | None
    monthly_spend_limit: str | None
    reply_history_messages: int
    reply_history_chars: int
    metrics_namespace: str
    audit_retention_days: int
    # Partitions the deployment's statistics are written across (usage aggregator): each takes
    # 1/STATS_SHARDS of the writes (docs/capacity.md sizes it).
    stats_shards: int
    # In a Lambda execution environment (the runtime sets AWS_LAMBDA_FUNCTION_NAME; so do the local
    # stack and `sam local`): clients are created and primed at init (bailian_chat.warm_start).
    prime_at_init: bool = False


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


def _model_catalog(raw: str | None) -> dict[str, dict]:
    """MODEL_CATALOG: a JSON object, model name -> capability overrides (checked by the catalog)."""
    if not raw:
        return {}
    try:
        catalog = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"MODEL_CATALOG is not valid JSON: {exc}") from exc
    if not isinstance(catalog, dict) or not all(isinstance(v, dict) for v in catalog.values()):
        raise ConfigError("MODEL_CATALOG must be a JSON object of model name -> object")
    return catalog


def _price_table(raw: str | None) -> str:
    """PRICE_TABLE: a JSON object (checked in full by usage.pricing); kept as its text."""
    if not raw:
        return ""
    try:
        table = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"PRICE_TABLE is not valid JSON: {exc}") from exc
    if not isinstance(table, dict):
        raise ConfigError("PRICE_TABLE must be a JSON object of model name -> price entry")
    return raw


def _spend_limit(env: dict, name: str) -> str | None:
    raw = (env.get(name) or "").strip()
    if not raw:
        return None
    try:
        limit = Decimal(raw)
    except InvalidOperation as exc:
        raise ConfigError(f"{name} must be a decimal amount, got {raw!r}") from exc
    if not limit.is_finite() or limit < 0:
        raise ConfigError(f"{name} must be an amount >= 0, got {raw!r}")
    return raw


DEFAULT_STATS_SHARDS = 8  # 1,000 model calls/s with headroom (docs/capacity.md)
MAX_STATS_SHARDS = 100


def _stats_shards(env: dict) -> int:
    """STATS_SHARDS: each admin statistics request reads every shard (one Query each)."""
    shards = _positive(env, "STATS_SHARDS", DEFAULT_STATS_SHARDS)
    if shards > MAX_STATS_SHARDS:
        raise ConfigError(f"STATS_SHARDS must be <= {MAX_STATS_SHARDS}, got {shards}")
    return shards


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
    api_key_digest_secret = env.get("API_KEY_DIGEST_SECRET") or None
    if api_key_digest_secret is not None and len(api_key_digest_secret) < 32:
        raise ConfigError("API_KEY_DIGEST_SECRET must be at least 32 characters")
    models = tuple(m.strip() for m in env.get("ALLOWED_MODELS", "").split(",") if m.strip())
    return Settings(
        table_name=table_name,
        dynamodb_endpoint=env.get("DYNAMODB_ENDPOINT") or None,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        jwt_secret=jwt_secret,
        jwt_secret_arn=jwt_secret_arn,
        api_key_digest_secret=api_key_digest_secret,
        api_key_digest_secret_arn=env.get("API_KEY_DIGEST_SECRET_ARN") or None,
        jwt_issuer=env.get("JWT_ISSUER") or "bailian-chat-api",
        access_token_ttl=_positive(env, "ACCESS_TOKEN_TTL_SECONDS", 3600),
        refresh_token_ttl=_positive(env, "REFRESH_TOKEN_TTL_SECONDS", 30 * 24 * 3600),
        login_max_failures=_positive(env, "LOGIN_MAX_FAILURES", 5),
        login_lockout_seconds=_positive(env, "LOGIN_LOCKOUT_SECONDS", 900),
        cors_allow_origin=env.get("CORS_ALLOW_ORIGIN") or "*",
        allowed_models=models or DEFAULT_MODELS,
        model_catalog=_model_catalog(env.get("MODEL_CATALOG")),
        bailian_base_url=(env.get("BAILIAN_BASE_URL") or SINGAPORE_BASE_URL).rstrip("/"),
        bailian_api_key=env.get("DASHSCOPE_API_KEY") or None,
        bailian_api_key_secret_arn=env.get("BAILIAN_API_KEY_SECRET_ARN") or None,
        # API Gateway gives up at 29 s: the whole model call, retries included, must end before.
        bailian_deadline_seconds=_positive(env, "BAILIAN_DEADLINE_SECONDS", 25.0, float),
        # A streamed answer is not bound by API Gateway's 29 s, only by the function's timeout.
        bailian_stream_deadline_seconds=_positive(env, "BAILIAN_STREAM_DEADLINE_SECONDS", 600.0, float),
        bailian_max_attempts=_positive(env, "BAILIAN_MAX_ATTEMPTS", 3),
        rate_limit_per_minute=_positive(env, "RATE_LIMIT_PER_MINUTE", 60),
        price_table=_price_table(env.get("PRICE_TABLE")),
        daily_spend_limit=_spend_limit(env, "DAILY_SPEND_LIMIT"),
        monthly_spend_limit=_spend_limit(env, "MONTHLY_SPEND_LIMIT"),
        reply_history_messages=_positive(env, "REPLY_HISTORY_MESSAGES", 40),
        reply_history_chars=_positive(env, "REPLY_HISTORY_CHARS", 48_000),
        metrics_namespace=env.get("POWERTOOLS_METRICS_NAMESPACE") or "BailianChat",
        audit_retention_days=_positive(env, "AUDIT_RETENTION_DAYS", 365),
        stats_shards=_stats_shards(env),
        prime_at_init=bool(env.get("AWS_LAMBDA_FUNCTION_NAME")),
    )


def in_lambda_execution_environment() -> bool:
    """The Lambda runtime sets AWS_EXECUTION_ENV to AWS_Lambda_<runtime> (so do the local stack and
    `sam local`; ECS and CloudShell set other values). Read on its own, before the settings, at the
    first import of the package (bailian_chat.warm_start). Unlike `prime_at_init` it does not need a
    function name: bench_cold_import times the import alone that way, the collector paused as on
    Lambda and nothing primed."""
    return os.environ.get("AWS_EXECUTION_ENV", "").startswith("AWS_Lambda_")


@functools.cache
def get_settings() -> Settings:
    return load_settings()
