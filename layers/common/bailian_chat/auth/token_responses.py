"""Use cases of the endpoints that answer a token pair: login (spec 1.2), refresh (spec 1.4) and a
password change, each as the response's `data`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bailian_chat.auth import service

if TYPE_CHECKING:
    from bailian_chat.auth.account_models import PasswordChange
    from bailian_chat.auth.models import LoginRequest, RefreshRequest


def _token_fields(tokens: service.TokenPair) -> dict:
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_in": tokens.expires_in,
    }


def login_response(request: LoginRequest, client_ip: str, user_agent: str | None) -> dict:
    """A new session's tokens and the user (spec 1.2)."""
    tokens, user = service.login(request, client_ip, user_agent)
    return {**_token_fields(tokens), "user": user}


def refresh_response(request: RefreshRequest) -> dict:
    """The rotated pair (the old refresh token stops working, so the client must keep this one);
    answered in RefreshData's order: spec 1.4's access_token and expires_in, then the new token."""
    return _token_fields(service.refresh(request.refresh_token))


def password_change_response(user_id: int, session_id: str, client_ip: str, request: PasswordChange) -> dict:
    """A fresh pair for this session after the password changed (every other session ended)."""
    return _token_fields(service.change_password(user_id, session_id, client_ip, request))
