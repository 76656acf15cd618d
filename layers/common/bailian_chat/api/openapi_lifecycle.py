"""The OpenAPI description of issue 13's second part: deployment-wide statistics, account deletion
and the audit trail. Merged into `openapi`'s account table at its end."""

from pydantic import Field

from bailian_chat.api.openapi import (
    BAD_REQUEST,
    NOT_AUTHENTICATED,
    SERVER_ERROR,
    Count,
    Id,
    Operation,
    Pagination,
    Statistics,
    Timestamp,
    _Data,
)
from bailian_chat.api.openapi_accounts import ADMIN_ONLY


class TopUser(_Data):
    user_id: Id
    username: str | None = Field(description="null once the account is gone")
    tokens: Count
    cost: str | None = Field(description="Decimal string in the price table's currency (null before costs)")


class DeploymentStatistics(Statistics):
    total_users: Count = Field(description="Accounts that exist now")
    active_users: Count = Field(description="Users with any activity in the range (and model)")
    top_users: list[TopUser] = Field(description="At most 10, most tokens first")


class AuditEvent(_Data):
    audit_id: str = Field(description="Time-ordered id of the event")
    event: str = Field(
        description="login_succeeded, login_failed, locked_out, refresh_token_reuse, password_changed, "
        "password_check_failed, session_ended, api_key_created, api_key_revoked, user_changed_by_admin"
    )
    created_at: Timestamp
    client_ip: str | None
    details: dict = Field(
        description="What the event concerns (session_id, admin_id, changes, ...); never a secret"
    )


class AuditPage(_Data):
    audit_events: list[AuditEvent] = Field(description="Newest first; kept AUDIT_RETENTION_DAYS days")
    pagination: Pagination


LIFECYCLE_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/api/admin/statistics"): Operation(
        "Deployment-wide statistics (admin): 5.2's shape plus accounts and top users",
        "admin",
        DeploymentStatistics,
        {
            200: "Retrieval successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: ADMIN_ONLY,
            500: SERVER_ERROR,
        },
    ),
    ("GET", "/api/auth/audit"): Operation(
        "The current user's security events (audit trail), newest first",
        "account",
        AuditPage,
        {200: "Retrieval successful", 400: BAD_REQUEST, 401: NOT_AUTHENTICATED, 500: SERVER_ERROR},
    ),
    ("GET", "/api/admin/users/{user_id}/audit"): Operation(
        "A user's security events (admin)",
        "admin",
        AuditPage,
        {
            200: "Retrieval successful",
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: ADMIN_ONLY,
            404: "User does not exist",
            500: SERVER_ERROR,
        },
    ),
    ("DELETE", "/api/auth/user"): Operation(
        "Delete the current user's account and everything of it (body: password)",
        "account",
        None,
        {
            200: "Deletion successful",
            400: BAD_REQUEST + " (password: is incorrect)",
            401: NOT_AUTHENTICATED,
            409: "The last active admin cannot delete their account",
            429: "Too many failed password attempts (the login throttle), Retry-After",
            500: SERVER_ERROR,
        },
    ),
}
