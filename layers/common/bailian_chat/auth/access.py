"""The per-request check the authorizer runs. Kept apart from `service` so the authorizer's
cold start imports neither argon2 nor pydantic."""

from bailian_chat import clock
from bailian_chat.auth import tokens
from bailian_chat.errors import Unauthorized
from bailian_chat.store import sessions

STATUS_DISABLED = 0
ROLE_USER = "user"
ROLE_ADMIN = "admin"


class DisabledUser(Unauthorized):
    """The token's user has been disabled: 401 like any dead session (refresh also revokes it)."""


def live_session(claims: tokens.TokenClaims, message: str = "Not authenticated") -> dict:
    """The token's session, if it exists, is not revoked or expired, belongs to the token's user,
    and that user is not disabled (a disabled account loses access at once, not at token expiry)."""
    return _live_session_and_user(claims, message)[0]


def _live_session_and_user(claims: tokens.TokenClaims, message: str) -> tuple[dict, dict]:
    session, user = sessions.get_session_and_user(claims.session_id, claims.user_id)
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
    return session, user


def authenticate(access_token: str) -> tokens.TokenClaims:
    """A valid access token of a live session, or Unauthorized."""
    return authenticate_with_role(access_token)[0]


def authenticate_with_role(access_token: str) -> tuple[tokens.TokenClaims, str]:
    """A valid access token of a live session and its user's role (read in the same BatchGetItem,
    so a demotion takes effect on the next request), or Unauthorized."""
    claims = tokens.verify(access_token, tokens.ACCESS)
    _, user = _live_session_and_user(claims, "Not authenticated")
    return claims, user.get("role") or ROLE_USER
