"""What the history, statistics, price and spend-limit endpoints answer (spec 5, issues 12 and 13):
one model per shape, returned by the use cases and declared by the handlers."""

from typing import Annotated, Literal

from pydantic import Field

from bailian_chat.response_models import Count, Day, Id, Money, Pagination, ResponseModel, Timestamp


class ApiCall(ResponseModel):
    id: Id
    user_id: Id
    api_key_id: Id | None = Field(description="The API key the call was made with; null for an access token")
    conversation_id: Id | None
    message_id: Id | None
    model_name: str
    api_endpoint: str
    status_code: int
    request_tokens: Count
    response_tokens: Count
    total_tokens: Count
    call_duration: Count = Field(description="Milliseconds")
    client_ip: str
    client_disconnected: bool = Field(
        description="True when the caller went away before a streamed answer ended; the call was "
        "still read to its end, so its tokens are the upstream's exact usage"
    )
    cost: Money | None = Field(
        description="The call's cost, fixed when it was made from the upstream's usage and the price "
        "table then (0 without usage); null for calls logged before costs were recorded"
    )
    created_at: Timestamp


class ApiCallPage(ResponseModel):
    api_calls: list[ApiCall]
    pagination: Pagination


class ModelStatistics(ResponseModel):
    model_name: str
    conversation_count: Count
    message_count: Count
    token_count: Count
    cost: Money


class DailyStatistics(ResponseModel):
    date: Day
    conversation_count: Count
    message_count: Count
    token_count: Count
    cost: Money


class Statistics(ResponseModel):
    total_conversations: Count
    total_messages: Count
    total_tokens: Count
    total_cost: Money = Field(description="The sum of the calls' costs (5.1's `cost`), exactly")
    currency: str = Field(description="The price table's currency, e.g. USD")
    model_statistics: list[ModelStatistics]
    daily_statistics: list[DailyStatistics]


class PriceTier(ResponseModel):
    max_input_tokens: int | None = Field(
        description="The tier applies up to this many prompt tokens; null: no bound"
    )
    input: str = Field(description="Price per million prompt tokens")
    output: str = Field(description="Price per million completion tokens")
    thinking_output: str = Field(description="Price per million completion tokens in thinking mode")


class Pricing(ResponseModel):
    currency: str
    unit: Literal["per_million_tokens"]
    tiers: list[PriceTier] = Field(description="Chosen by the call's prompt tokens, first that fits")


class ModelCapabilities(ResponseModel):
    image: bool
    video: bool
    tools: bool
    thinking: Literal["none", "optional", "always"]
    max_output_tokens: Annotated[int, Field(ge=1)]


class PricedModel(ResponseModel):
    model_name: str
    capabilities: ModelCapabilities
    pricing: Pricing | None = Field(
        description="null: the price table has no price for it (its calls cost 0)"
    )


class ModelList(ResponseModel):
    currency: str
    price_source: str
    prices_as_of: Day
    models: list[PricedModel]


class SpendPeriod(ResponseModel):
    limit: Money | None = Field(
        description="The limit that applies (the lower of yours and the deployment's)"
    )
    spent: Money
    reserved: Money = Field(description="Held by calls in progress (released when they end)")


class SpendToday(SpendPeriod):
    date: Day


class SpendThisMonth(SpendPeriod):
    month: str = Field(examples=["2026-12"])


class Budget(ResponseModel):
    currency: str
    daily_limit: Money | None = Field(description="Your own daily limit; null: none of your own")
    monthly_limit: Money | None = Field(description="Your own monthly limit; null: none of your own")
    deployment_daily_limit: Money | None
    deployment_monthly_limit: Money | None
    today: SpendToday
    this_month: SpendThisMonth


class TopUser(ResponseModel):
    user_id: Id
    username: str | None = Field(description="null once the account is gone")
    tokens: Count
    cost: str | None = Field(description="Decimal string in the price table's currency (null before costs)")


class DeploymentStatistics(Statistics):
    total_users: Count = Field(description="Accounts that exist now")
    active_users: Count = Field(description="Users with any activity in the range (and model)")
    top_users: list[TopUser] = Field(description="At most 10, most tokens first")
