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
    Statistics,
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
}
