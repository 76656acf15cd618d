"""Use cases of the auth endpoints: register, login, refresh, logout, current user."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bailian_chat import clock
from bailian_chat.auth import passwords, tokens
from bailian_chat.auth.access import STATUS_DISABLED, DisabledUser, live_session
from bailian_chat.config import get_settings
from bailian_chat.errors import Conflict, Forbidden, RateLimited, Unauthorized
from bailian_chat.store import login_failures, sessions, users

if TYPE_CHECKING:
    from bailian_chat.auth.models import LoginRequest, RegisterRequest

STATUS_ACTIVE = 1
BAD_CREDENTIALS = "Username or password incorrect"
BAD_REFRESH = "Refresh token is invalid or expired"
PUBLIC_USER_FIELDS = (
    "user_id",
    "username",
    "email",
    "nickname",
    "avatar_url",
    "phone",
    "status",
)


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


def public_user(user: dict, *extra: str) -> dict:
    """The user as the API shows it: never the password hash or internal attributes."""
    return {field: user.get(field) for field in (*PUBLIC_USER_FIELDS, *extra)}


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
        user = users.create_user(profile)
    except users.UserExists as exc:
        raise Conflict(f"{exc.field.capitalize()} already exists") from exc
    return public_user(user, "created_at")


def login(request: LoginRequest, client_ip: str) -> tuple[TokenPair, dict]:
    settings = get_settings()
    now = clock.now_epoch()
    user = users.find_user_by_login(request.username.strip())
    # Attempts count per account (by id, so username and email share a count) and client IP;
    # an unknown name gets a count of its own, so probing names is throttled too. The slot is
    # taken before the password is checked, so parallel guesses get no more checks than the limit.
    account = f"user:{user['user_id']}" if user else f"name:{request.username.strip().lower()}"
    slot = _take_attempt(account, client_ip, now)

    if not passwords.verify_password(user and user.get("password_hash"), request.password):
        raise Unauthorized(BAD_CREDENTIALS)  # the slot stays taken: it is a failure
    # The right password: the failures before it no longer count (as after any success).
    login_failures.clear_through(account, client_ip, slot, settings.login_max_failures)
    if user.get("status") == STATUS_DISABLED:
        raise Forbidden("User account has been disabled")
    return _start_session(user["user_id"], now), public_user(user)


def _take_attempt(account: str, client_ip: str, now: int) -> login_failures.AttemptSlot:
    """An attempt slot of this account+IP's window; RateLimited while the window's are used up."""
    settings = get_settings()
    try:
        return login_failures.take_attempt(
            account, client_ip, now, settings.login_lockout_seconds, settings.login_max_failures
        )
    except login_failures.LockedOut as locked:
        raise RateLimited(
            "Too many failed login attempts, try again later",
            retry_after=max(1, locked.until - now),
        ) from locked


def _start_session(user_id: int, now: int) -> TokenPair:
    settings = get_settings()
    session_id = secrets.token_urlsafe(18)
    refresh_jti = tokens.new_token_id()
    session_expires = now + settings.refresh_token_ttl
    sessions.create_login_session(
        session_id, user_id, refresh_jti, now, session_expires, clock.iso_from_epoch(now)
    )
    return TokenPair(
        access_token=_access_token(user_id, session_id, now),
        refresh_token=tokens.issue(user_id, session_id, tokens.REFRESH, session_expires, refresh_jti),
        expires_in=settings.access_token_ttl,
    )


def _access_token(user_id: int, session_id: str, now: int) -> str:
    return tokens.issue(user_id, session_id, tokens.ACCESS, now + get_settings().access_token_ttl)


def refresh(refresh_token: str) -> TokenPair:
    """Rotates the refresh token. Presenting an already-rotated one is reuse: the session is revoked."""
    claims = tokens.verify(refresh_token, tokens.REFRESH, BAD_REFRESH)
    try:
        session = live_session(claims, BAD_REFRESH)
    except DisabledUser:
        sessions.revoke_session(claims.session_id, "user disabled")
        raise
    if session["refresh_jti"] != claims.token_id:
        sessions.revoke_session(claims.session_id, "refresh token reuse")
        raise Unauthorized(BAD_REFRESH)
    new_jti = tokens.new_token_id()
    if not sessions.rotate_refresh(claims.session_id, claims.token_id, new_jti):
        sessions.revoke_session(claims.session_id, "refresh token reuse")
        raise Unauthorized(BAD_REFRESH)
    now = clock.now_epoch()
    return TokenPair(
        access_token=_access_token(claims.user_id, claims.session_id, now),
        refresh_token=tokens.issue(
            claims.user_id,
            claims.session_id,
            tokens.REFRESH,
            session["expires_at"],
            new_jti,
        ),
        expires_in=get_settings().access_token_ttl,
    )


def logout(session_id: str) -> None:
    sessions.revoke_session(session_id, "logout")


def current_user(user_id: int) -> dict:
    user = users.get_user(user_id)
    if user is None:
        raise Unauthorized()
    return public_user(user, "created_at", "last_login_at")
