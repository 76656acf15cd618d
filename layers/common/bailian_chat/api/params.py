"""Typed path and query parameters shared by the endpoints (validated: 400, never clamped), and
Powertools' Body and Path markers for the functions, which import Powertools only through the layer
(bailian_chat.api, imported first, installs bailian_chat.lean_imports).

Numbers in paths and query strings are plain decimal digits: pydantic would otherwise read "033",
"+33", " 33", "3_3" and "33.0" all as 33, so one resource would answer to many names."""

import re
from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body as Body  # re-exported
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import AfterValidator, BeforeValidator, Field

from bailian_chat.paging import PageRequest
from bailian_chat.request_models import documented
from bailian_chat.response_models import MAX_ID
from bailian_chat.text_rules import single_line_text
from bailian_chat.usage.dates import calendar_day

PLAIN_NUMBER = re.compile(r"0|[1-9][0-9]{0,15}")  # no sign, space, separator or leading zero
NOT_PLAIN = "must be a whole number in plain digits (no sign, spaces, separators or leading zeros)"


def _plain_number(value):
    """What the query string or path holds must be PLAIN_NUMBER; the bounds check comes after."""
    if isinstance(value, str) and not PLAIN_NUMBER.fullmatch(value):
        if value.isascii() and value.isdigit() and value[0] != "0":
            raise ValueError("is out of range")  # 17 digits or more: past every bound
        raise ValueError(NOT_PLAIN)
    return value


PlainNumber = BeforeValidator(_plain_number)
# The location marker, the bounds (a plain Field, so the OpenAPI schema has minimum/maximum) and the
# digits check: Powertools keeps all three when a marker is paired with a Field.
ConversationId = Annotated[int, Path(description="Conversation ID"), Field(gt=0, le=MAX_ID), PlainNumber]
MessageId = Annotated[int, Path(description="Message ID"), Field(gt=0, le=MAX_ID), PlainNumber]
PageNumber = Annotated[int, Query(description="Page number, from 1"), Field(ge=1, le=1_000_000), PlainNumber]
PageLimit = Annotated[int, Query(description="Items per page, at most 100"), Field(ge=1, le=100), PlainNumber]
ApiKeyId = Annotated[int, Path(description="API key ID"), Field(gt=0, le=MAX_ID), PlainNumber]
ApiKeyFilter = Annotated[
    int | None,
    Query(description="Only the calls made with this API key of yours"),
    Field(gt=0, le=MAX_ID),
    PlainNumber,
]
ModelFilter = Annotated[str | None, Query(min_length=1, max_length=64, description="Filter by model name")]


def page_request(page: int, limit: int) -> PageRequest:
    return PageRequest(page=page, limit=limit)


# Checked like every other parameter (400 naming it, before the handler runs); whether start_date
# comes after end_date is the use case's check (usage/dates.date_range), which sees both.
DateFilter = Annotated[
    Annotated[str, Field(max_length=10), documented(format="date")] | None,
    Query(description="UTC date, YYYY-MM-DD (inclusive)"),
    AfterValidator(calendar_day),
]

UserId = Annotated[int, Path(description="User ID"), Field(gt=0, le=MAX_ID), PlainNumber]
SessionId = Annotated[
    str, Path(description="Session ID (from GET /api/auth/sessions)", pattern=r"^[A-Za-z0-9_-]{1,64}$")
]


def _user_query(value: str | None) -> str | None:
    if value is not None and not single_line_text(value).strip():
        raise ValueError("must not be blank")
    return value.strip() if value is not None else None


UserQuery = Annotated[
    str | None,
    Query(min_length=1, max_length=254, description="A prefix of the username or email (case-insensitive)"),
    AfterValidator(_user_query),
]
StatusFilter = Annotated[
    int | None, Query(description="1 active, 0 disabled"), Field(ge=0, le=1), PlainNumber
]
