"""DynamoDB stream records shaped like the real ones (moto's streams are too partial to drive the
stream consumers): rollup changes and account changes, as the usage aggregator receives them."""

import itertools

from bailian_chat.store import keys, rollup_items
from boto3.dynamodb.types import TypeSerializer

DAY = "2026-03-01"
_sequence = itertools.count(1000)


def typed(values: dict) -> dict:
    return {name: TypeSerializer().serialize(value) for name, value in values.items()}


def stream_record(event: str, pk: str, sk: str, new: dict | None, old: dict | None, event_id=None) -> dict:
    sequence = str(next(_sequence))
    stream = {"Keys": typed({"PK": pk, "SK": sk}), "SequenceNumber": sequence}
    if new is not None:
        stream["NewImage"] = typed({"PK": pk, "SK": sk, **new})
    if old is not None:
        stream["OldImage"] = typed({"PK": pk, "SK": sk, **old})
    return {"eventID": event_id or f"event-{sequence}", "eventName": event, "dynamodb": stream}


def rollup_change(user_id: int, model: str, old: dict | None, new: dict, *, day=DAY, event_id=None):
    pk, sk = keys.daily_rollup(user_id, day, model)
    labels = {"date": day, "model_name": model, "item_type": rollup_items.USER_DAILY}
    event = "INSERT" if old is None else "MODIFY"
    return stream_record(event, pk, sk, {**labels, **new}, old and {**labels, **old}, event_id)


def account(event: str, user_id: int) -> dict:
    pk, sk = keys.user(user_id)
    image = {"user_id": user_id, "username": f"user{user_id}"}
    return stream_record(
        event, pk, sk, image if event == "INSERT" else None, image if event == "REMOVE" else None
    )


def calls_of(
    users: range, day: str, model: str = "qwen-plus", *, per_user: int = 3, tokens: int = 7
) -> list[dict]:
    """One rollup change per call, `per_user` calls per user interleaved (each user's counts grow by
    one call and `tokens` tokens)."""
    records, totals = [], {}
    for _ in range(per_user):
        for user in users:
            old = totals.get(user)
            totals[user] = {
                "calls": (old or {}).get("calls", 0) + 1,
                "tokens": (old or {}).get("tokens", 0) + tokens,
            }
            records.append(rollup_change(user, model, old, totals[user], day=day))
    return records


def batches(records: list[dict], size: int = 100) -> list[list[dict]]:
    """`records` in stream batches of at most `size` (the aggregator's batch size in template.yaml)."""
    return [records[start : start + size] for start in range(0, len(records), size)]
