"""The per-request check the authorizer runs. Kept apart from `service` so the authorizer's
cold start imports neither argon2 nor pydantic."""

import logging

from bailian_chat import clock
from bailian_chat.auth import api_key_secrets, tokens
from bailian_chat.auth.callers import ACCESS_TOKEN, API_KEY, ROLE_USER, KeyGrant, spend_limits_context
from bailian_chat.errors import Unauthorized
from bailian_chat.store import api_key_items, session_items

logger = logging.getLogger(__name__)  # not Powertools: the authorizer stays light

STATUS_DISABLED = 0
# last_used_at is written at most this often per key, whatever the traffic.
LAST_USED_RESOLUTION_SECONDS = 60


class DisabledUser(Unauthorized):
    """The token's user has been disabled: 401 like any dead session (refresh also revokes it)."""


def live_session(claims: tokens.TokenClaims, message: str = "Not authenticated") -> dict:
    """The token's session, if it exists, is not revoked or expired, belongs to the token's user,
    and that user is not disabled (a disabled account loses access at once, not at token expiry)."""
    return _live_session_and_user(claims, message, with_limits=False)[0]


def _live_session_and_user(
    claims: tokens.TokenClaims, message: str, *, with_limits: bool = True
) -> tuple[dict, dict, dict]:
    """The session, its user and (`with_limits`: for the model calls the authorizer hands them to)
    the user's spend limits, in one read."""
    session, user, limits = session_items.get_session_and_user(
        claims.session_id, claims.user_id, with_limits=with_limits
    )
    if (
        session is None
        or session.get("revoked")
        or session.get("user_id") != claims.user_id
        or session.get("expires_at", 0) <= clock.now_epoch()
        or user is None
        or user.get("deleting_at")  # the account is being deleted: refused from the mark on
    ):
        raise Unauthorized(message)
    if user.get("status") == STATUS_DISABLED:
        raise DisabledUser(message)
    return session, user, limits


def authenticate(access_token: str) -> tokens.TokenClaims:
    """A valid access token of a live session, or Unauthorized."""
    return authenticate_with_role(access_token)[0]


def authenticate_with_role(access_token: str) -> tuple[tokens.TokenClaims, str, dict]:
    """A valid access token of a live session, its user's role and spend limits (read in the same
    BatchGetItem, so a demotion or a new limit takes effect on the next request), or Unauthorized."""
    claims = tokens.verify(access_token, tokens.ACCESS)
    _, user, limits = _live_session_and_user(claims, "Not authenticated")
    return claims, user.get("role") or ROLE_USER, limits


def authenticate_api_key(secret: str, message: str = "Not authenticated") -> tuple[int, KeyGrant, dict]:
    """The user, grant and user's spend limits of a live API key: it exists, is not revoked or
    expired, and its user exists and is not disabled; Unauthorized otherwise."""
    digest = api_key_secrets.digest(secret)
    key, user, limits = api_key_items.get_key_and_user(digest, api_key_secrets.owner_of(secret))
    now = clock.now_epoch()
    if (
        key is None
        or key.get("status") != api_key_items.ACTIVE
        or (key.get("valid_until") and key["valid_until"] <= clock.iso_from_epoch(now))
        or user is None
        or user.get("status") == STATUS_DISABLED
    ):
        raise Unauthorized(message)
    _note_use(digest, key, now)
    models = key.get("models")
    grant = KeyGrant(
        key_id=int(key["key_id"]),
        models=tuple(models) if models is not None else None,
        rate_limit_per_minute=key.get("rate_limit_per_minute"),
        monthly_budget=key.get("monthly_budget"),
    )
    return int(key["user_id"]), grant, limits


def _note_use(digest: str, key: dict, now: int) -> None:
    """last_used_at, to the minute: a write only when the stored value is a minute old, and a
    failure to write never refuses the request."""
    stale_before = clock.iso_from_epoch(now - LAST_USED_RESOLUTION_SECONDS + 1)
    if key.get("last_used_at") and key["last_used_at"] >= stale_before:
        return
    try:
        api_key_items.touch_last_used(digest, clock.iso_from_epoch(now), stale_before)
    except Exception:
        logger.exception("Could not record an API key's last use")


def authorizer_context(credential: str) -> tuple[int, dict[str, str]]:
    """Use case of the REQUEST authorizer: the caller's user id and the rest of the context the
    functions get (auth_type, then the key's grant or the session and role); Unauthorized else."""
    if api_key_secrets.looks_like_key(credential):
        user_id, grant, limits = authenticate_api_key(credential)
        return user_id, {"auth_type": API_KEY, **grant.context(), **spend_limits_context(limits)}
    claims, role, limits = authenticate_with_role(credential)
    context = {"auth_type": ACCESS_TOKEN, "session_id": claims.session_id, "role": role}
    return claims.user_id, {**context, **spend_limits_context(limits)}
