"""The OpenAPI description of the account routes beyond the spec (issue 13): self-service profile,
password and sessions, and the admin user routes. Merged into `openapi`'s tables at its end."""

from typing import Annotated

from pydantic import Field

from bailian_chat.api.openapi import (
    BAD_REQUEST,
    NOT_AUTHENTICATED,
    SERVER_ERROR,
    Count,
    CurrentUser,
    Operation,
    Pagination,
    Timestamp,
    _Data,
)

ADMIN_ONLY = "Admin access required (an admin's access token; API keys never)"
Money = Annotated[str | None, Field(description="A decimal amount as a string; null: no ceiling")]


class Session(_Data):
    session_id: str
    created_at: Timestamp
    last_used_at: Timestamp = Field(description="When its refresh token was last used (or it was created)")
    client_ip: str | None
    user_agent: str | None
    current: bool = Field(description="The session of the token making this request")


class SessionList(_Data):
    sessions: list[Session]


class FreshTokens(_Data):
    access_token: str
    refresh_token: str
    expires_in: int = Field(description="Access token lifetime in seconds")


class UserPage(_Data):
    users: list[CurrentUser]
    pagination: Pagination


class MonthUsage(_Data):
    month: str = Field(description="The current UTC month, YYYY-MM")
    calls: Count
    tokens: Count
    cost: str = Field(description="A decimal string, in `currency`, from the costs fixed at call time")
    currency: str


class AdminUserDetail(CurrentUser):
    daily_limit_ceiling: Money
    monthly_limit_ceiling: Money
    usage_this_month: MonthUsage


ACCOUNT_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("PUT", "/api/auth/user"): Operation(
        "Update the current user's profile",
        "account",
        CurrentUser,
        {200: "Update successful", 400: BAD_REQUEST, 401: NOT_AUTHENTICATED, 500: SERVER_ERROR},
    ),
    ("PUT", "/api/auth/password"): Operation(
        "Change the password (ends every other session)",
        "account",
        FreshTokens,
        {
            200: "Password changed",
            400: BAD_REQUEST + " (current_password: is incorrect)",
            401: NOT_AUTHENTICATED,
            409: "The password was changed by another request meanwhile",
            429: "Too many failed password attempts (the login throttle), Retry-After",
            500: SERVER_ERROR,
        },
    ),
    ("GET", "/api/auth/sessions"): Operation(
        "List the current user's live sessions",
        "account",
        SessionList,
        {200: "Retrieval successful", 401: NOT_AUTHENTICATED, 500: SERVER_ERROR},
    ),
    ("DELETE", "/api/auth/sessions/{session_id}"): Operation(
        "End one of the current user's sessions",
        "account",
        None,
        {
            200: "Deletion successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            404: "Session does not exist (or is someone else's)",
            500: SERVER_ERROR,
        },
    ),
    ("GET", "/api/admin/users"): Operation(
        "List and search users (admin)",
        "admin",
        UserPage,
        {
            200: "Retrieval successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: ADMIN_ONLY,
            500: SERVER_ERROR,
        },
    ),
    ("GET", "/api/admin/users/{user_id}"): Operation(
        "A user and their usage this month (admin)",
        "admin",
        AdminUserDetail,
        {
            200: "Retrieval successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: ADMIN_ONLY,
            404: "User does not exist",
            500: SERVER_ERROR,
        },
    ),
    ("PUT", "/api/admin/users/{user_id}"): Operation(
        "Change a user's status, role or spend-limit ceilings (admin)",
        "admin",
        AdminUserDetail,
        {
            200: "Update successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: ADMIN_ONLY,
            404: "User does not exist",
            409: "An admin cannot disable or demote themselves; the last active admin cannot be removed",
            500: SERVER_ERROR,
        },
    ),
}
ACCOUNT_EXAMPLES = {
    ("PUT", "/api/auth/user"): {"nickname": "Example", "avatar_url": "https://example.com/me.png"},
    ("PUT", "/api/auth/password"): {
        "current_password": "correct horse battery",
        "new_password": "correct horse battery staple",
    },
    ("PUT", "/api/admin/users/{user_id}"): {"status": 0},
}
ACCOUNT_TAGS = [
    {"name": "account", "description": "The signed-in user's profile, password and sessions"},
    {"name": "admin", "description": "User administration (admins only)"},
]
