"""Use cases of the auth endpoints: register, login, refresh, logout, current user."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bailian_chat import clock
from bailian_chat.auth import audit, passwords, tokens
from bailian_chat.auth.access import ROLE_USER, STATUS_DISABLED, DisabledUser, live_session
from bailian_chat.auth.responses import CurrentUser, RegisteredUser, User
from bailian_chat.config import get_settings
from bailian_chat.errors import Conflict, Forbidden, RateLimited, Unauthorized
from bailian_chat.response_models import ResponseModel
from bailian_chat.store import login_failure_items, session_items, user_items

if TYPE_CHECKING:
    from bailian_chat.auth.models import LoginRequest, RegisterRequest

STATUS_ACTIVE = 1
BAD_CREDENTIALS = "Username or password incorrect"
BAD_REFRESH = "Refresh token is invalid or expired"
# The just-rotated refresh token presented again within this many seconds is a race, not theft.
REFRESH_GRACE_SECONDS = 10
USER_AGENT_MAX = 512  # stored with the session for the user's session list; longer ones are cut


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def public_user(user: dict, shape: type[ResponseModel] = User, **values: Any) -> dict:
    """The user as `shape` shows it: never the password hash or internal attributes."""
    # Users stored before roles existed are users.
    return shape.pick(user, role=user.get("role") or ROLE_USER, **values)


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
    return public_user(user, RegisteredUser)


def account_of(user: dict) -> str:
    """The throttle's account of a known user (by id, so username and email share a count)."""
    return f"user:{user['user_id']}"


def login(request: LoginRequest, client_ip: str, user_agent: str | None = None) -> tuple[TokenPair, dict]:
    now = clock.now_epoch()
    user = user_items.find_user_by_login(request.username.strip())
    if user and user.get("deleting_at"):
        user = None  # an account being deleted is no account: the same 401 as an unknown name
    # Attempts count per account (by id, so username and email share a count) and client IP;
    # an unknown name gets a count of its own, so probing names is throttled too. The slot is
    # taken before the password is checked, so parallel guesses get no more checks than the limit.
    account = account_of(user) if user else f"name:{request.username.strip().lower()}"
    user_id = user and user["user_id"]
    slot = verified_slot(
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
    return _start_session(user_id, now, client, clearing), public_user(user)


def check_password(account: str, client_ip: str, *checked, **audited) -> bool:
    """Checks a password under the login throttle of `account` from `client_ip`: the attempt takes a
    slot first (RateLimited while they are used up, so parallel guesses get no more checks than
    the limit); a failure keeps it, and the last one locks the account+IP out for a whole period;
    a success frees the failures before it. Failures and lockouts are audited (`user_id`'s trail;
    a name that is no account only gets the log line). Arguments as verified_slot's."""
    slot = verified_slot(account, client_ip, *checked, **audited)
    if slot is None:
        return False
    login_failure_items.clear_through(account, client_ip, slot, get_settings().login_max_failures)
    return True


def verified_slot(
    account: str,
    client_ip: str,
    password_hash: str | None,
    password: str,
    now: int,
    *,
    user_id: int | None = None,
    failure_event: str = audit.LOGIN_FAILED,
) -> login_failure_items.AttemptSlot | None:
    """check_password's check, its slot returned for the caller to clear (None: a wrong password)."""
    settings = get_settings()
    slot = _take_attempt(account, client_ip, now)
    if not passwords.verify_password(password_hash, password):
        audit.record(failure_event, user_id, client_ip, account=None if user_id else account)
        if slot.is_last:  # the limit is reached now: locked out for a whole period from here
            login_failure_items.lock_out(account, client_ip, slot, now + settings.login_lockout_seconds)
            until = clock.iso_from_epoch(now + settings.login_lockout_seconds)
            audit.record(
                audit.LOCKED_OUT, user_id, client_ip, until=until, account=None if user_id else account
            )
        return None  # the slot stays taken: it is a failure
    return slot


def _take_attempt(account: str, client_ip: str, now: int) -> login_failure_items.AttemptSlot:
    """An attempt slot of this account+IP's window; RateLimited while the window's are used up."""
    settings = get_settings()
    try:
        return login_failure_items.take_attempt(
            account, client_ip, now, settings.login_lockout_seconds, settings.login_max_failures
        )
    except login_failure_items.LockedOut as locked:
        raise RateLimited(
            "Too many failed login attempts, try again later",
            retry_after=max(1, locked.until - now),
        ) from locked


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


def logout(session_id: str, user_id: int | None = None, client_ip: str | None = None) -> None:
    session_items.revoke_session(session_id, "logout")
    audit.record(audit.SESSION_ENDED, user_id, client_ip, session_id=session_id, reason="logout")


def current_user(user_id: int) -> dict:
    user = user_items.get_user(user_id)
    if user is None:
        raise Unauthorized()
    return public_user(user, CurrentUser)
