"""Sliding-window request counters in the table, so a limit holds across concurrent Lambda instances.

Time is cut into numbered buckets. The counter of bucket j (attribute `s<j - first>` of the item
holding buckets [first, first + BUCKETS_PER_ITEM)) is the window sum: how many requests were
counted in the window of buckets that ends with j. A request in bucket i lies in the windows
ending at i .. i+K, so it adds one to each of those counters, on condition that every one of them
is below the limit: one conditional write, and no window ever holds more than the limit, whatever
order concurrent writes land in. An item only ever holds its own buckets' counters (bounded size,
nothing to clean up) and expires through the table's TTL once its buckets are past.
"""

from dataclasses import dataclass

from bailian_chat.store import dynamodb, keys, transactions

BUCKETS_PER_ITEM = 120


@dataclass(frozen=True)
class _ItemUpdate:
    first: int  # the item's first bucket
    buckets: list[int]  # the window sums this request adds to, all in this item


def take(user_id: int, buckets: range, bucket_seconds: int, limit: int) -> dict[int, int] | None:
    """Adds one to the window sums of `buckets` if each is below `limit`, in one request
    (UpdateItem, or TransactWriteItems when they span two items). None when counted; otherwise
    nothing is counted and the sums that stopped it are returned (bucket -> sum; may be empty)."""
    updates = _updates(buckets)
    requests = [_request(user_id, update, bucket_seconds, len(buckets), limit) for update in updates]
    try:
        if len(requests) == 1:
            request = requests[0]
            dynamodb.update_item(
                *request.pop("Key"),
                request.pop("UpdateExpression"),
                request.pop("ExpressionAttributeValues"),
                **request,
            )
        else:
            dynamodb.transact_write([{"Update": _transact_form(request)} for request in requests])
    except dynamodb.ConditionFailed as failed:
        return _sums(updates[0], failed.item)
    except dynamodb.TransactionCancelled as cancelled:  # a condition failed, or conflicts outlasted retries
        sums: dict[int, int] = {}
        for update, item in zip(updates, cancelled.items, strict=False):
            sums.update(_sums(update, item))
        return sums
    return None


RATE_WINDOW = "rate_window:"  # a take's action name in a caller's transaction: + subject + first bucket


def _action_name(subject: int | str, first: int) -> str:
    return f"{RATE_WINDOW}{subject}:{first}"


def take_actions(
    subject: int | str, buckets: range, bucket_seconds: int, limit: int
) -> list[transactions.NamedAction]:
    """The same conditional adds as `take`, as named actions for the caller's own transaction (a
    write that belongs with the take: one round trip for both)."""
    return [
        (
            _action_name(subject, update.first),
            {"Update": _transact_form(_request(subject, update, bucket_seconds, len(buckets), limit))},
        )
        for update in _updates(buckets)
    ]


def refusing_sums(
    subject: int | str,
    buckets: range,
    cancelled: dynamodb.TransactionCancelled,
    actions: list[transactions.NamedAction],
) -> dict[int, int] | None:
    """When one of `subject`'s `take_actions` actions failed its condition in the cancelled
    transaction of `actions`, the sums that stopped it (as `take` returns them); None when none did."""
    names = {_action_name(subject, update.first) for update in _updates(buckets)}
    if not names & transactions.failed(cancelled, actions):
        return None
    items = {name: item for (name, _), item in zip(actions, cancelled.items, strict=False)}
    sums: dict[int, int] = {}
    for update in _updates(buckets):
        sums.update(_sums(update, items.get(_action_name(subject, update.first))))
    return sums


def _updates(buckets: range) -> list[_ItemUpdate]:
    return [
        _ItemUpdate(first, [j for j in buckets if j - j % BUCKETS_PER_ITEM == first])
        for first in sorted({j - j % BUCKETS_PER_ITEM for j in buckets})
    ]


def _name(update: _ItemUpdate, bucket: int) -> str:
    return f"s{bucket - update.first}"


def _request(user_id: int, update: _ItemUpdate, bucket_seconds: int, window_buckets: int, limit: int) -> dict:
    names = [_name(update, j) for j in update.buckets]
    expires = (update.first + BUCKETS_PER_ITEM + window_buckets) * bucket_seconds
    return {
        "Key": keys.rate_window(user_id, update.first * bucket_seconds),
        "UpdateExpression": "SET expires_at = :expires ADD " + ", ".join(f"{name} :one" for name in names),
        "ExpressionAttributeValues": {":one": 1, ":limit": limit, ":expires": expires},
        "ConditionExpression": " AND ".join(f"(attribute_not_exists({n}) OR {n} < :limit)" for n in names),
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def _transact_form(request: dict) -> dict:
    return {
        **request,
        "Key": dynamodb.key(*request["Key"]),
        "ExpressionAttributeValues": dynamodb.to_values(request["ExpressionAttributeValues"]),
    }


def _sums(update: _ItemUpdate, item: dict | None) -> dict[int, int]:
    item = item or {}
    return {j: item.get(_name(update, j), 0) for j in update.buckets}
