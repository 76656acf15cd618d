"""bailian_chat.config.load_settings: validated once, failing clearly on a bad environment."""

import pytest
from bailian_chat.config import DEFAULT_MODELS, ConfigError, load_settings

SECRET = "s" * 32
BASE = {"TABLE_NAME": "table", "JWT_SECRET": SECRET}


def test_load_settings_with_minimal_env_uses_the_defaults():
    settings = load_settings(dict(BASE))

    assert settings.table_name == "table"
    assert settings.jwt_secret == SECRET
    assert settings.jwt_secret_arn is None
    assert settings.dynamodb_endpoint is None
    assert settings.jwt_issuer == "bailian-chat-api"
    assert settings.access_token_ttl == 3600
    assert settings.refresh_token_ttl == 30 * 24 * 3600
    assert settings.login_max_failures == 5
    assert settings.login_lockout_seconds == 900
    assert settings.allowed_models == DEFAULT_MODELS


def test_load_settings_reads_the_overrides():
    settings = load_settings(
        {
            **BASE,
            "JWT_ISSUER": "issuer",
            "ACCESS_TOKEN_TTL_SECONDS": "60",
            "LOGIN_MAX_FAILURES": "3",
            "LOGIN_LOCKOUT_SECONDS": "30",
            "DYNAMODB_ENDPOINT": "http://127.0.0.1:8000",
            "AWS_REGION": "ap-southeast-1",
        }
    )

    assert settings.jwt_issuer == "issuer"
    assert settings.access_token_ttl == 60
    assert settings.login_max_failures == 3
    assert settings.login_lockout_seconds == 30
    assert settings.dynamodb_endpoint == "http://127.0.0.1:8000"
    assert settings.region == "ap-southeast-1"


@pytest.mark.parametrize("table_name", [None, ""])
def test_load_settings_without_table_name_fails(table_name):
    env = {**BASE, "TABLE_NAME": table_name} if table_name is not None else {"JWT_SECRET": SECRET}

    with pytest.raises(ConfigError, match="TABLE_NAME"):
        load_settings(env)


def test_load_settings_with_a_short_jwt_secret_fails():
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        load_settings({**BASE, "JWT_SECRET": "s" * 31})


def test_load_settings_without_any_jwt_secret_fails():
    with pytest.raises(ConfigError, match="JWT_SECRET"):
        load_settings({"TABLE_NAME": "table"})


def test_load_settings_with_only_a_secret_arn_succeeds():
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:jwt"

    settings = load_settings({"TABLE_NAME": "table", "JWT_SECRET_ARN": arn})

    assert settings.jwt_secret is None
    assert settings.jwt_secret_arn == arn


@pytest.mark.parametrize(
    "name",
    ["ACCESS_TOKEN_TTL_SECONDS", "REFRESH_TOKEN_TTL_SECONDS", "LOGIN_MAX_FAILURES", "LOGIN_LOCKOUT_SECONDS"],
)
@pytest.mark.parametrize("value", ["abc", "1.5", "5s", "0x10"])
def test_load_settings_with_a_non_integer_number_fails_naming_it(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({**BASE, name: value})


@pytest.mark.parametrize("name", ["ACCESS_TOKEN_TTL_SECONDS", "LOGIN_MAX_FAILURES"])
@pytest.mark.parametrize("value", ["0", "-1"])
def test_load_settings_with_a_non_positive_number_fails_naming_it(name, value):
    with pytest.raises(ConfigError, match=name):
        load_settings({**BASE, name: value})


def test_stats_shards_default_to_eight_and_take_1_to_100():
    assert load_settings(dict(BASE)).stats_shards == 8
    for value in (1, 48, 100):
        assert load_settings({**BASE, "STATS_SHARDS": str(value)}).stats_shards == value
    for value in ("0", "101", "two"):
        with pytest.raises(ConfigError, match="STATS_SHARDS"):
            load_settings({**BASE, "STATS_SHARDS": value})
