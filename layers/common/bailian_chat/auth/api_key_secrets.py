"""API key secrets: made once, shown once, stored only as a keyed digest.

A secret is `sk-bc-<user id>.<43 random URL-safe characters>`: the user id (not secret: every
response of the user's carries it) lets the authorizer read the key and its user in one batch;
the key item's own user_id must match it, so editing the id in a secret only makes it invalid.

The digest is HMAC-SHA-256 under a server-side key (Secrets Manager; an env var locally), so a
copy of the table alone cannot be used to test guesses against the stored digests.
"""

import hashlib
import hmac
import re
import secrets

from bailian_chat.config import ConfigError, get_settings

PREFIX = "sk-bc-"
RANDOM_BYTES = 32
HINT_CHARS = 4
_OWNER = re.compile(r"([1-9][0-9]{0,15})\.")


def new_secret(user_id: int) -> str:
    return f"{PREFIX}{user_id}.{secrets.token_urlsafe(RANDOM_BYTES)}"


def owner_of(secret: str) -> int | None:
    """The user id a secret names (None for a secret without one)."""
    named = _OWNER.match(secret, len(PREFIX))
    return int(named.group(1)) if named else None


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
