"""What the auth, account, API-key and audit endpoints answer (spec 1, issues 12 and 13): one
model per shape, returned by the use cases and declared by the handlers."""

from typing import Annotated, Literal

from pydantic import Field

from bailian_chat.response_models import Count, Id, Money, Pagination, ResponseModel, Timestamp

OptionalMoney = Annotated[str | None, Field(description="A decimal amount as a string; null: no ceiling")]


class User(ResponseModel):
    user_id: Id
    username: str
    email: str
    nickname: str | None
    avatar_url: str | None
    phone: str | None
    status: int = Field(description="1 active, 0 disabled")
    role: Literal["user", "admin"] = Field(description="admin: may use /api/admin/*")


class RegisteredUser(User):
    created_at: Timestamp


class CurrentUser(User):
    created_at: Timestamp
    last_login_at: Timestamp | None


class FreshTokens(ResponseModel):
    access_token: str
    refresh_token: str
    expires_in: int = Field(description="Access token lifetime in seconds")


class LoginData(FreshTokens):
    user: User


class RefreshData(ResponseModel):
    access_token: str
    expires_in: int = Field(description="Access token lifetime in seconds")
    refresh_token: str = Field(
        description="The rotated refresh token; the one presented is spent "
        "(presented again within 10 s, it gets this same token)"
    )


class Session(ResponseModel):
    session_id: str
    created_at: Timestamp
    last_used_at: Timestamp = Field(description="When its refresh token was last used (or it was created)")
    client_ip: str | None
    user_agent: str | None
    current: bool = Field(description="The session of the token making this request")


class SessionList(ResponseModel):
    sessions: list[Session]


class UserPage(ResponseModel):
    users: list[CurrentUser]
    pagination: Pagination


class MonthUsage(ResponseModel):
    month: str = Field(description="The current UTC month, YYYY-MM")
    calls: Count
    tokens: Count
    cost: Money
    currency: str


class AdminUserDetail(CurrentUser):
    daily_limit_ceiling: OptionalMoney
    monthly_limit_ceiling: OptionalMoney
    usage_this_month: MonthUsage


class AuditEvent(ResponseModel):
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


class AuditPage(ResponseModel):
    audit_events: list[AuditEvent] = Field(description="Newest first; kept AUDIT_RETENTION_DAYS days")
    pagination: Pagination


class ApiKey(ResponseModel):
    key_id: Id
    name: str
    hint: str = Field(description="The secret's prefix and last 4 characters, e.g. sk-bc-…1a2b")
    created_at: Timestamp
    expires_at: Timestamp | None
    last_used_at: Timestamp | None = Field(description="To the minute (written at most once a minute)")
    models: list[str] | None = Field(description="Models the key may call; null: every configured model")
    rate_limit_per_minute: Annotated[int, Field(ge=1)] | None = Field(
        description="The key's own limit on model calls; null: only the user's limit applies"
    )
    monthly_budget: str | None = Field(
        description="Spend limit per UTC calendar month, a decimal string in the price table's currency"
    )
    status: Literal["active", "revoked", "expired"]


class CreatedApiKey(ApiKey):
    key: str = Field(
        description="The secret, `sk-bc-` + 43 url-safe characters: shown this once, never again"
    )


class ApiKeyPage(ResponseModel):
    api_keys: list[ApiKey]
    pagination: Pagination
