"""What a signed-in user does to their own account: profile, password, sessions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bailian_chat import clock
from bailian_chat.auth import audit, passwords, service, tokens
from bailian_chat.auth.responses import CurrentUser
from bailian_chat.config import get_settings
from bailian_chat.errors import BadRequest, Conflict, NotFound, Unauthorized
from bailian_chat.store import dynamodb, session_items, user_items

if TYPE_CHECKING:
    from bailian_chat.auth.account_models import PasswordChange

WRONG_PASSWORD = "current_password: is incorrect"
NO_SUCH_SESSION = "Session does not exist"


def update_profile(user_id: int, changes: dict) -> dict:
    """Sets nickname, avatar_url and/or phone (null clears one); answers 1.5's shape."""
    if not changes:
        raise BadRequest("Request body must set at least one of nickname, avatar_url, phone")
    try:
        user = user_items.update_profile(user_id, changes)
    except dynamodb.ConditionFailed as exc:
        raise Unauthorized() from exc
    return service.public_user(user, CurrentUser)


def change_password(
    user_id: int, session_id: str, client_ip: str, request: PasswordChange
) -> service.TokenPair:
    """Checks the current password under the login throttle (a wrong one takes an attempt slot like a
    failed login and changes nothing), stores the new one, ends every other session and answers a
    fresh token pair for this one (its older refresh tokens stop working)."""
    user = user_items.get_user(user_id)
    if user is None:
        raise Unauthorized()
    now = clock.now_epoch()
    account = service.account_of(user)
    if not service.check_password(
        account,
        client_ip,
        user["password_hash"],
        request.current_password,
        now,
        user_id=user_id,
        failure_event=audit.PASSWORD_CHECK_FAILED,
    ):
        raise BadRequest(WRONG_PASSWORD)
    try:
        user_items.replace_password_hash(
            user_id, user["password_hash"], passwords.hash_password(request.new_password)
        )
    except dynamodb.ConditionFailed as exc:
        raise Conflict("The password was changed by another request meanwhile; try again") from exc
    ended = 0
    for pointer, _ in session_items.user_sessions(user_id):
        if pointer["session_id"] != session_id:
            session_items.end_session(user_id, pointer["session_id"], "password changed")
            ended += 1
    audit.record(
        audit.PASSWORD_CHANGED, user_id, client_ip, session_id=session_id, other_sessions_ended=ended
    )
    return _fresh_pair(user_id, session_id, now)


def _fresh_pair(user_id: int, session_id: str, now: int) -> service.TokenPair:
    settings = get_settings()
    refresh_jti = tokens.new_token_id()
    try:
        session = session_items.reissue_refresh(session_id, refresh_jti, now)
    except dynamodb.ConditionFailed as exc:  # this session was ended meanwhile
        raise Unauthorized() from exc
    return service.TokenPair(
        access_token=tokens.issue(user_id, session_id, tokens.ACCESS, now + settings.access_token_ttl),
        refresh_token=tokens.issue(user_id, session_id, tokens.REFRESH, session["expires_at"], refresh_jti),
        expires_in=settings.access_token_ttl,
    )


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
