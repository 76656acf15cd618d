"""The auth use cases that check a password or issue tokens: register, login, refresh, password
change. They import PyJWT and argon2; showing a user is in `user_views`, the rest of what a user
does to their own account in `self_service`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bailian_chat import clock
from bailian_chat.auth import audit, password_checks, passwords, tokens, user_views
from bailian_chat.auth.access import STATUS_DISABLED, DisabledUser, live_session
from bailian_chat.auth.responses import RegisteredUser
from bailian_chat.config import get_settings
from bailian_chat.errors import BadRequest, Conflict, Forbidden, Unauthorized
from bailian_chat.store import dynamodb, login_failure_items, session_items, user_items

if TYPE_CHECKING:
    from bailian_chat.auth.account_models import PasswordChange
    from bailian_chat.auth.models import LoginRequest, RegisterRequest

STATUS_ACTIVE = 1
BAD_CREDENTIALS = "Username or password incorrect"
BAD_REFRESH = "Refresh token is invalid or expired"
WRONG_PASSWORD = "current_password: is incorrect"
# The just-rotated refresh token presented again within this many seconds is a race, not theft.
REFRESH_GRACE_SECONDS = 10
USER_AGENT_MAX = 512  # stored with the session for the user's session list; longer ones are cut


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def register(request: RegisterRequest) -> dict:
    profile = {
        "username": request.username,
        "email": request.email,
        "password_hash": passwords.hash_password(request.password),
        "nickname": request.nickname,
        "avatar_url": None,
        "phone": request.phone,
        "status": STATUS_ACTIVE,
        "created_at": clock.now_iso(),
    }
    try:
        user = user_items.create_user(profile)
    except user_items.UserExists as exc:
        raise Conflict(f"{exc.field.capitalize()} already exists") from exc
    return user_views.public_user(user, RegisteredUser)


def login(request: LoginRequest, client_ip: str, user_agent: str | None = None) -> tuple[TokenPair, dict]:
    now = clock.now_epoch()
    user = user_items.find_user_by_login(request.username.strip())
    if user and user.get("deleting_at"):
        user = None  # an account being deleted is no account: the same 401 as an unknown name
    # Attempts count per account (by id, so username and email share a count) and client IP;
    # an unknown name gets a count of its own, so probing names is throttled too. The slot is
    # taken before the password is checked, so parallel guesses get no more checks than the limit.
    account = password_checks.account_of(user) if user else f"name:{request.username.strip().lower()}"
    user_id = user and user["user_id"]
    slot = password_checks.verified_slot(
        account, client_ip, user and user.get("password_hash"), request.password, now, user_id=user_id
    )
    if slot is None:
        raise Unauthorized(BAD_CREDENTIALS)
    max_failures = get_settings().login_max_failures
    if user.get("status") == STATUS_DISABLED:
        login_failure_items.clear_through(account, client_ip, slot, max_failures)
        audit.record(audit.LOGIN_FAILED, user_id, client_ip, reason="account disabled")
        raise Forbidden("User account has been disabled")
    client = {"client_ip": client_ip, "user_agent": (user_agent or "")[:USER_AGENT_MAX] or None}
    # The throttle's clearing rides in the session's transaction: 4 round trips, not 5.
    clearing = login_failure_items.clear_through_action(account, client_ip, slot, max_failures)
    return _start_session(user_id, now, client, clearing), user_views.public_user(user)


def _start_session(
    user_id: int, now: int, client: dict | None = None, clearing: dict | None = None
) -> TokenPair:
    settings = get_settings()
    session_id = secrets.token_urlsafe(18)
    refresh_jti = tokens.new_token_id()
    session_expires = now + settings.refresh_token_ttl
    client_ip = (client or {}).get("client_ip")
    event, audit_item = audit.record_action(audit.LOGIN_SUCCEEDED, user_id, client_ip, session_id=session_id)
    session_items.create_login_session(
        session_id,
        user_id,
        refresh_jti,
        now,
        session_expires,
        clock.iso_from_epoch(now),
        client,
        [audit_item],
        if_still_due=clearing,
    )
    audit.log(user_id, event)
    return TokenPair(
        access_token=_access_token(user_id, session_id, now),
        refresh_token=tokens.issue(user_id, session_id, tokens.REFRESH, session_expires, refresh_jti),
        expires_in=settings.access_token_ttl,
    )


def _access_token(user_id: int, session_id: str, now: int) -> str:
    return tokens.issue(user_id, session_id, tokens.ACCESS, now + get_settings().access_token_ttl)


def refresh(refresh_token: str) -> TokenPair:
    """Rotates the refresh token. The token just rotated, presented again within the grace period (a
    second tab, a retry after a timeout), gets the same rotation's pair; any other already-rotated
    token is reuse: the session is revoked."""
    claims = tokens.verify(refresh_token, tokens.REFRESH, BAD_REFRESH)
    try:
        session = live_session(claims, BAD_REFRESH)
    except DisabledUser:
        session_items.revoke_session(claims.session_id, "user disabled")
        raise
    now = clock.now_epoch()
    if session["refresh_jti"] == claims.token_id:
        session = session_items.rotate_refresh(claims.session_id, claims.token_id, tokens.new_token_id(), now)
    if not _rotated_from(session, claims.token_id, now):
        if not session.get("revoked"):
            session_items.revoke_session(claims.session_id, "refresh token reuse")
            audit.record(audit.REFRESH_TOKEN_REUSE, claims.user_id, session_id=claims.session_id)
        raise Unauthorized(BAD_REFRESH)
    return _rotation_pair(claims, session, now)


def _rotated_from(session: dict, token_id: str, now: int) -> bool:
    """The session's current refresh token replaced `token_id` less than the grace period ago."""
    return (
        not session.get("revoked")
        and session.get("previous_jti") == token_id
        and now - session.get("rotated_at", 0) < REFRESH_GRACE_SECONDS
    )


def _rotation_pair(claims: tokens.TokenClaims, session: dict, now: int) -> TokenPair:
    """The pair of the session's last rotation, the same for every request the grace period admits:
    the current refresh token (byte for byte: same claims, iat the rotation time) and an access
    token that expires with the one that rotation issued, so a retry never extends the session."""
    settings = get_settings()
    rotated_at = session["rotated_at"]
    access_expires = rotated_at + settings.access_token_ttl
    user_id, session_id = claims.user_id, claims.session_id
    return TokenPair(
        access_token=tokens.issue(user_id, session_id, tokens.ACCESS, access_expires, issued_at=rotated_at),
        refresh_token=tokens.issue(
            user_id, session_id, tokens.REFRESH, session["expires_at"], session["refresh_jti"], rotated_at
        ),
        expires_in=min(settings.access_token_ttl, access_expires - now),  # never more, with clock skew
    )


def change_password(user_id: int, session_id: str, client_ip: str, request: PasswordChange) -> TokenPair:
    """Checks the current password under the login throttle (a wrong one takes an attempt slot like a
    failed login and changes nothing), stores the new one, ends every other session and answers a
    fresh token pair for this one (its older refresh tokens stop working)."""
    user = user_items.get_user(user_id)
    if user is None:
        raise Unauthorized()
    now = clock.now_epoch()
    account = password_checks.account_of(user)
    if not password_checks.check_password(
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


def _fresh_pair(user_id: int, session_id: str, now: int) -> TokenPair:
    settings = get_settings()
    refresh_jti = tokens.new_token_id()
    try:
        session = session_items.reissue_refresh(session_id, refresh_jti, now)
    except dynamodb.ConditionFailed as exc:  # this session was ended meanwhile
        raise Unauthorized() from exc
    return TokenPair(
        access_token=tokens.issue(user_id, session_id, tokens.ACCESS, now + settings.access_token_ttl),
        refresh_token=tokens.issue(user_id, session_id, tokens.REFRESH, session["expires_at"], refresh_jti),
        expires_in=settings.access_token_ttl,
    )
