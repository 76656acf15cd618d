"""The table client, item (de)serialisation and DynamoDB error translation.

Uses the low-level client (thread-safe, lighter than the resource API) created once per
process and reused across invocations.
"""

import functools
import random
import time
from typing import Any

import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from bailian_chat.config import get_settings
from bailian_chat.store.attribute_values import deserialize, serialize


class ConditionFailed(Exception):
    """A conditional write did not apply (the item was not in the expected state). `item` is the
    item as it was, when the write asked for it (ReturnValuesOnConditionCheckFailure="ALL_OLD")."""

    def __init__(self, message: str, item: dict | None = None):
        super().__init__(message)
        self.item = item


class TransactionCancelled(Exception):
    """A transaction was cancelled; `reasons` holds one code per action ("None" where it was fine),
    `items` the item of each action whose condition failed, when it asked for it (ALL_OLD)."""

    def __init__(self, reasons: list[str], items: list[dict | None] | None = None):
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons
        self.items = items or [None] * len(reasons)


@functools.cache
def client():
    settings = get_settings()
    return aws_client("dynamodb", endpoint_url=settings.dynamodb_endpoint)


def aws_client(service: str, endpoint_url: str | None = None):
    """A botocore client (boto3 itself is not imported: it costs ~100 ms of cold start)."""
    settings = get_settings()
    return botocore.session.get_session().create_client(
        service,
        region_name=settings.region,
        endpoint_url=endpoint_url,
        config=Config(
            connect_timeout=2,
            read_timeout=5,
            retries={"mode": "standard", "max_attempts": 3},
        ),
    )


class _EmptyBody:
    """The raw body of the in-process answer `prime_client` gives its one call."""

    def stream(self, **_kwargs):
        yield b"{}"


def prime_client() -> None:
    """Creates the client (at init, not in the first request) and takes one GetItem through its
    whole request path -- serialise, resolve the endpoint, sign, parse -- with the send answered
    in-process: the first real call then costs what a warm one does, and no connection is opened
    (nothing connected is captured in a SnapStart snapshot)."""
    events = client().meta.events
    event, unique_id = "before-send.dynamodb.GetItem", "bailian-chat-prime"

    def answer(request, **_kwargs) -> AWSResponse:
        return AWSResponse(request.url, 200, {}, _EmptyBody())

    events.register_first(event, answer, unique_id=unique_id)
    try:
        get_item("PRIME", "PRIME")
    finally:
        events.unregister(event, unique_id=unique_id)


def table_name() -> str:
    return get_settings().table_name


def to_item(values: dict[str, Any]) -> dict:
    return {k: serialize(v) for k, v in values.items() if v is not None}


def to_values(values: dict[str, Any]) -> dict:
    """Expression attribute values (None allowed, stored as NULL)."""
    return {k: serialize(v) for k, v in values.items()}


def from_item(item: dict | None) -> dict | None:
    if item is None:
        return None
    return {k: deserialize(v) for k, v in item.items()}


# Retries of what DynamoDB leaves undone (transaction conflicts, unprocessed batch items), with
# full-jitter exponential backoff; botocore already retries throttling and 5xx on each call.
RETRY_ATTEMPTS = 6


def back_off(attempt: int) -> None:
    time.sleep(random.uniform(0, min(0.05 * 2**attempt, 1.0)))


KEY_ATTRIBUTES = frozenset({"PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"})


def without_keys(item: dict | None) -> dict | None:
    """The item's own attributes, without the table's addressing attributes."""
    return None if item is None else {k: v for k, v in item.items() if k not in KEY_ATTRIBUTES}


def key(pk: str, sk: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def get_item(pk: str, sk: str, *, consistent: bool = False) -> dict | None:
    response = client().get_item(TableName=table_name(), Key=key(pk, sk), ConsistentRead=consistent)
    return from_item(response.get("Item"))


def get_items(pairs: list[tuple[str, str]], *, consistent: bool = False) -> dict[tuple[str, str], dict]:
    """Several items in one BatchGetItem, keyed by (PK, SK); missing ones are absent."""
    found: dict[tuple[str, str], dict] = {}
    request = {table_name(): {"Keys": [key(pk, sk) for pk, sk in pairs], "ConsistentRead": consistent}}
    for attempt in range(RETRY_ATTEMPTS):
        response = client().batch_get_item(RequestItems=request)
        for item in response.get("Responses", {}).get(table_name(), []):
            values = from_item(item)
            found[(values["PK"], values["SK"])] = values
        request = response.get("UnprocessedKeys") or {}
        if not request:
            return found
        back_off(attempt)
    raise RuntimeError("BatchGetItem left unprocessed keys")


def update_item(pk: str, sk: str, expression: str, values: dict, **kwargs) -> dict | None:
    """UpdateItem returning the new item; raises ConditionFailed when a condition does not hold."""
    try:
        response = client().update_item(
            TableName=table_name(),
            Key=key(pk, sk),
            UpdateExpression=expression,
            ExpressionAttributeValues=to_values(values),
            ReturnValues="ALL_NEW",
            **kwargs,
        )
    except ClientError as exc:
        _raise_condition_failed(exc)
        raise
    return from_item(response.get("Attributes"))


def put_item(values: dict, **kwargs) -> None:
    try:
        client().put_item(TableName=table_name(), Item=to_item(values), **kwargs)
    except ClientError as exc:
        _raise_condition_failed(exc)
        raise


def delete_item(pk: str, sk: str) -> None:
    client().delete_item(TableName=table_name(), Key=key(pk, sk))


def transact_write(actions: list[dict]) -> None:
    """TransactWriteItems; each action is {"Put"|"Update"|"Delete"|"ConditionCheck": {...}},
    without TableName. A cancellation caused only by a concurrent transaction on the same items
    (TransactionConflict) is retried with backoff; any other cancellation raises TransactionCancelled."""
    items = [
        {kind: {"TableName": table_name(), **body} for kind, body in action.items()} for action in actions
    ]
    for attempt in range(RETRY_ATTEMPTS):
        try:
            client().transact_write_items(TransactItems=items)
            return
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            cancelled = exc.response.get("CancellationReasons", [])
            reasons = [r.get("Code", "None") for r in cancelled]
            conflict_only = "TransactionConflict" in reasons and "ConditionalCheckFailed" not in reasons
            if not conflict_only or attempt + 1 == RETRY_ATTEMPTS:
                raise TransactionCancelled(reasons, [from_item(r.get("Item")) for r in cancelled]) from exc
            back_off(attempt)


def _raise_condition_failed(exc: ClientError) -> None:
    if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
        raise ConditionFailed(str(exc), from_item(exc.response.get("Item"))) from exc
