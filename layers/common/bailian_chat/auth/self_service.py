"""What a signed-in user does to their own account: profile, sessions, logout (the password change,
which checks a password and issues tokens, is in `service`)."""

from bailian_chat import clock
from bailian_chat.auth import audit, user_views
from bailian_chat.auth.responses import CurrentUser
from bailian_chat.errors import BadRequest, NotFound, Unauthorized
from bailian_chat.store import dynamodb, session_items, user_items

NO_SUCH_SESSION = "Session does not exist"


def update_profile(user_id: int, changes: dict) -> dict:
    """Sets nickname, avatar_url and/or phone (null clears one); answers 1.5's shape."""
    if not changes:
        raise BadRequest("Request body must set at least one of nickname, avatar_url, phone")
    try:
        user = user_items.update_profile(user_id, changes)
    except dynamodb.ConditionFailed as exc:
        raise Unauthorized() from exc
    return user_views.public_user(user, CurrentUser)


def list_sessions(user_id: int, current_session_id: str) -> dict:
    """The user's live sessions, newest first, as {"sessions": [...]}. last_used_at is when its
    refresh token was last rotated (or it was created): access-token use is not written down, to
    keep requests read-only."""
    now = clock.now_epoch()
    sessions = [
        {
            "session_id": pointer["session_id"],
            "created_at": clock.iso_from_epoch(session["created_at"]),
            "last_used_at": clock.iso_from_epoch(session.get("rotated_at") or session["created_at"]),
            "client_ip": pointer.get("client_ip"),
            "user_agent": pointer.get("user_agent"),
            "current": pointer["session_id"] == current_session_id,
        }
        for pointer, session in session_items.user_sessions(user_id)
        if _live(session, user_id, now)
    ]
    return {"sessions": sessions}


def end_session(user_id: int, session_id: str) -> None:
    """Ends one of the caller's sessions at once; someone else's (or none) is 404."""
    session = session_items.get_session(session_id)
    if not _live(session, user_id, clock.now_epoch()):
        raise NotFound(NO_SUCH_SESSION)
    session_items.end_session(user_id, session_id, "ended by its user")
    audit.record(audit.SESSION_ENDED, user_id, session_id=session_id, reason="ended by its user")


def _live(session: dict | None, user_id: int, now: int) -> bool:
    return (
        session is not None
        and session.get("user_id") == user_id
        and not session.get("revoked")
        and session.get("expires_at", 0) > now
    )


def logout(session_id: str, user_id: int | None = None, client_ip: str | None = None) -> None:
    session_items.revoke_session(session_id, "logout")
    audit.record(audit.SESSION_ENDED, user_id, client_ip, session_id=session_id, reason="logout")
