"""Personal API keys: create (the secret is shown once), list, revoke."""

from bailian_chat import clock
from bailian_chat.auth import api_key_secrets, audit
from bailian_chat.auth.api_key_models import CreateApiKeyRequest
from bailian_chat.errors import NotFound
from bailian_chat.paging import PageRequest, pagination
from bailian_chat.store import api_key_items

ACTIVE = api_key_items.ACTIVE
REVOKED = api_key_items.REVOKED
EXPIRED = "expired"


def public_key(key: dict) -> dict:
    """What a key's owner may see: never the secret, never its digest."""
    return {
        "key_id": key["key_id"],
        "name": key["name"],
        "hint": key["hint"],
        "created_at": key["created_at"],
        "expires_at": key.get("valid_until"),
        "last_used_at": key.get("last_used_at"),
        "models": list(key["models"]) if key.get("models") is not None else None,
        "rate_limit_per_minute": key.get("rate_limit_per_minute"),
        "monthly_budget": key.get("monthly_budget"),
        "status": _status(key),
    }


def _status(key: dict) -> str:
    if key.get("status") == REVOKED:
        return REVOKED
    if key.get("valid_until") and key["valid_until"] <= clock.now_iso():
        return EXPIRED
    return ACTIVE


def create(user_id: int, request: CreateApiKeyRequest) -> dict:
    """The new key's record and, this once, its secret as `key`."""
    secret = api_key_secrets.new_secret(user_id)
    key = {
        "user_id": user_id,
        "name": request.name,
        "hint": api_key_secrets.hint(secret),
        "created_at": clock.now_iso(),
        "valid_until": request.expires_at,
        "models": list(request.models) if request.models is not None else None,
        "rate_limit_per_minute": request.rate_limit_per_minute,
        "monthly_budget": request.monthly_budget,
    }
    stored = api_key_items.create_key(api_key_secrets.digest(secret), key)
    audit.record(audit.API_KEY_CREATED, user_id, key_id=stored["key_id"], name=request.name)
    return {**public_key(stored), "key": secret}


def list_page(user_id: int, page: PageRequest) -> dict:
    total, found = api_key_items.keys_page(user_id, page.offset, page.limit)
    return {"api_keys": [public_key(key) for key in found], "pagination": pagination(page, total)}


def revoke(user_id: int, key_id: int) -> None:
    """Revokes the caller's key at once (idempotent); someone else's key id is NotFound."""
    if api_key_items.revoke_key(user_id, key_id, clock.now_iso()) is None:
        raise NotFound("API key does not exist")
    audit.record(audit.API_KEY_REVOKED, user_id, key_id=key_id)
