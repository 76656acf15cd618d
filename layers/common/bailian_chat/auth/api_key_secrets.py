"""API key secrets: made once, shown once, stored only as a keyed digest.

The digest is HMAC-SHA-256 under a server-side key (Secrets Manager; an env var locally), so a
copy of the table alone cannot be used to test guesses against the stored digests.
"""

import hashlib
import hmac
import secrets

from bailian_chat.config import ConfigError, get_settings

PREFIX = "sk-bc-"
RANDOM_BYTES = 32
HINT_CHARS = 4


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(RANDOM_BYTES)


def looks_like_key(credential: str) -> bool:
    """An API key rather than an access token (a JWT never starts with the prefix)."""
    return credential.startswith(PREFIX)


def hint(secret: str) -> str:
    return f"{PREFIX}…{secret[-HINT_CHARS:]}"


def _digest_key() -> bytes:
    settings = get_settings()
    if settings.api_key_digest_secret:
        return settings.api_key_digest_secret.encode()
    if settings.api_key_digest_secret_arn:
        from bailian_chat.store.secrets import get_secret  # only in AWS: keeps local imports light

        return get_secret(settings.api_key_digest_secret_arn).encode()
    raise ConfigError("Set API_KEY_DIGEST_SECRET (local) or API_KEY_DIGEST_SECRET_ARN (AWS)")


def digest(secret: str) -> str:
    return hmac.new(_digest_key(), secret.encode(), hashlib.sha256).hexdigest()
