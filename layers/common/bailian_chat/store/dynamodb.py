"""The table client, item (de)serialisation and DynamoDB error translation.

Uses the low-level client (thread-safe, lighter than the resource API) created once per
process and reused across invocations.
"""

import functools
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from bailian_chat.config import get_settings

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class ConditionFailed(Exception):
    """A conditional write did not apply (the item was not in the expected state)."""


class TransactionCancelled(Exception):
    """A transaction was cancelled; `reasons` holds one code per action ("None" where it was fine)."""

    def __init__(self, reasons: list[str]):
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons


@functools.cache
def client():
    settings = get_settings()
    return boto3.client(
        "dynamodb",
        region_name=settings.region,
        endpoint_url=settings.dynamodb_endpoint,
        config=Config(
            connect_timeout=2,
            read_timeout=5,
            retries={"mode": "standard", "max_attempts": 3},
        ),
    )


def table_name() -> str:
    return get_settings().table_name


def to_item(values: dict[str, Any]) -> dict:
    return {k: _serializer.serialize(v) for k, v in values.items() if v is not None}


def to_values(values: dict[str, Any]) -> dict:
    """Expression attribute values (None allowed, stored as NULL)."""
    return {k: _serializer.serialize(v) for k, v in values.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def from_item(item: dict | None) -> dict | None:
    if item is None:
        return None
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def key(pk: str, sk: str) -> dict:
    return {"PK": {"S": pk}, "SK": {"S": sk}}


def get_item(pk: str, sk: str, *, consistent: bool = False) -> dict | None:
    response = client().get_item(
        TableName=table_name(), Key=key(pk, sk), ConsistentRead=consistent
    )
    return from_item(response.get("Item"))


def update_item(
    pk: str, sk: str, expression: str, values: dict, **kwargs
) -> dict | None:
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
    """TransactWriteItems; each action is {"Put"|"Update"|"Delete"|"ConditionCheck": {...}} without TableName."""
    items = [
        {kind: {"TableName": table_name(), **body} for kind, body in action.items()}
        for action in actions
    ]
    try:
        client().transact_write_items(TransactItems=items)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            reasons = [
                r.get("Code", "None")
                for r in exc.response.get("CancellationReasons", [])
            ]
            raise TransactionCancelled(reasons) from exc
        raise


def _raise_condition_failed(exc: ClientError) -> None:
    if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
        raise ConditionFailed(str(exc)) from exc
