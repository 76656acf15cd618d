"""The shapes of the items that cross from the store to the layers above it, as TypedDicts (plain
dicts at run time: no pydantic in the store, for cold start). Keys are the item's own attributes,
without PK/SK and index keys (`dynamodb.without_keys`)."""

from typing import NotRequired, TypedDict


class ConversationItem(TypedDict):
    conversation_id: int
    user_id: int
    title: str
    model_name: str
    status: int
    created_at: str
    updated_at: str
    message_count: int
    deleting: NotRequired[bool]  # closed to new messages while its delete runs


class MessageItem(TypedDict):
    message_id: int
    conversation_id: int
    user_id: int  # 0 for the assistant
    role: str
    content_type: str
    content: list[dict]
    status: int
    created_at: str


class MessagePointer(TypedDict):
    """Finds a message and its conversation's owner by the message id alone."""

    message_id: int
    conversation_id: int
    owner_id: int


class ModelCallItem(TypedDict):
    id: int
    user_id: int
    api_key_id: int | None
    conversation_id: int | None
    message_id: int | None
    model_name: str
    api_endpoint: str
    status_code: int
    request_tokens: int
    response_tokens: int
    total_tokens: int
    call_duration: int
    client_ip: str
    client_disconnected: NotRequired[bool]
    cost: NotRequired[str]  # a decimal string
    currency: NotRequired[str]
    created_at: str


class SpendLimits(TypedDict, total=False):
    """A user's own limits and an admin's ceilings, decimal strings (absent: none)."""

    daily_limit: str
    monthly_limit: str
    daily_limit_ceiling: str
    monthly_limit_ceiling: str
    updated_at: str


class UserItem(TypedDict):
    user_id: int
    username: str
    email: str
    password_hash: str
    nickname: str | None
    avatar_url: str | None
    phone: str | None
    status: int  # 1 active, 0 disabled
    created_at: str
    role: NotRequired[str]  # "user" (absent on accounts from before roles) or "admin"
    last_login_at: NotRequired[str]
    updated_at: NotRequired[str]
    daily_limit_ceiling: NotRequired[str]  # an admin's ceilings, decimal strings
    monthly_limit_ceiling: NotRequired[str]
    deleting_at: NotRequired[str]  # the account is being deleted: no access from then on


class SessionItem(TypedDict):
    session_id: str
    user_id: int
    refresh_jti: str  # the refresh token that is current
    revoked: bool
    created_at: int  # epoch seconds
    expires_at: int
    previous_jti: NotRequired[str]  # the one just rotated out: honoured within the grace window
    rotated_at: NotRequired[int]
    revoked_reason: NotRequired[str]


class ApiKeyItem(TypedDict):
    key_id: int
    user_id: int
    name: str
    hint: str  # sk-bc-… and the last 4 characters: the secret itself is never stored
    status: str  # "active" or "revoked"
    created_at: str
    valid_until: str | None
    models: list[str] | None
    rate_limit_per_minute: int | None
    monthly_budget: str | None
    last_used_at: NotRequired[str]
    revoked_at: NotRequired[str]
