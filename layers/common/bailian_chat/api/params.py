"""Typed path and query parameters shared by the endpoints (validated: 400, never clamped)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from bailian_chat.paging import PageRequest

MAX_ID = 2**53 - 1  # ids stay exact in JavaScript

ConversationId = Annotated[int, Path(gt=0, le=MAX_ID, description="Conversation ID")]
MessageId = Annotated[int, Path(gt=0, le=MAX_ID, description="Message ID")]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1")]
PageLimit = Annotated[int, Query(ge=1, le=100, description="Items per page, at most 100")]
ApiKeyId = Annotated[int, Path(gt=0, le=MAX_ID, description="API key ID")]
ApiKeyFilter = Annotated[
    int | None, Query(gt=0, le=MAX_ID, description="Only the calls made with this API key of yours")
]
ModelFilter = Annotated[str | None, Query(min_length=1, max_length=64, description="Filter by model name")]


def page_request(page: int, limit: int) -> PageRequest:
    return PageRequest(page=page, limit=limit)


DateFilter = Annotated[str | None, Query(max_length=10, description="UTC date, YYYY-MM-DD (inclusive)")]
