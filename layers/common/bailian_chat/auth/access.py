"""The per-request check the authorizer runs. Kept apart from `service` so the authorizer's
cold start imports neither argon2 nor pydantic."""

from bailian_chat import clock
from bailian_chat.auth import tokens
from bailian_chat.errors import Unauthorized
from bailian_chat.store import sessions


def live_session(claims: tokens.TokenClaims, message: str = "Not authenticated") -> dict:
    """The token's session, if it exists, is not revoked or expired and belongs to the token's user."""
    session = sessions.get_session(claims.session_id)
    if (
        session is None
        or session.get("revoked")
        or session.get("user_id") != claims.user_id
        or session.get("expires_at", 0) <= clock.now_epoch()
    ):
        raise Unauthorized(message)
    return session


def authenticate(access_token: str) -> tokens.TokenClaims:
    """A valid access token of a live session, or Unauthorized."""
    claims = tokens.verify(access_token, tokens.ACCESS)
    live_session(claims)
    return claims
