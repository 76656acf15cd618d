"""Id allocation: atomic counters, so ids are positive, exact in JavaScript and never reused."""

from bailian_chat.store import dynamodb, keys


def next_id(name: str) -> int:
    item = dynamodb.update_item(
        *keys.counter(name),
        "ADD #value :one",
        {":one": 1},
        ExpressionAttributeNames={"#value": "value"},
    )
    return item["value"]
