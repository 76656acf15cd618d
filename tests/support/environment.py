"""The settings environment of the in-process (unit) tests."""

UNIT_ENV = {
    "TABLE_NAME": "bailian-chat-unit",
    "JWT_SECRET": "unit-test-signing-key-0123456789abcdef-0123456789abcdef-0123456789",
    "JWT_ISSUER": "bailian-chat-api-unit",
    "API_KEY_DIGEST_SECRET": "unit-test-api-key-digest-key-0123456789abcdef-0123456789",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_SERVICE_NAME": "bailian-chat-api",
    "POWERTOOLS_METRICS_NAMESPACE": "BailianChat",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
# Settings the unit tests rely on being at their defaults (or absent).
UNSET_ENV = (
    "DYNAMODB_ENDPOINT",
    "JWT_SECRET_ARN",
    "API_KEY_DIGEST_SECRET_ARN",
    "ACCESS_TOKEN_TTL_SECONDS",
    "REFRESH_TOKEN_TTL_SECONDS",
    "LOGIN_MAX_FAILURES",
    "LOGIN_LOCKOUT_SECONDS",
    "CORS_ALLOW_ORIGIN",
    "ALLOWED_MODELS",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_PROFILE",
)
JWT_SECRET = UNIT_ENV["JWT_SECRET"]
JWT_ISSUER = UNIT_ENV["JWT_ISSUER"]
OTHER_KEY = "another-signing-key-0123456789abcdefghij-0123456789abcdefghij-012345"
