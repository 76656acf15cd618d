"""Audit items: one per security event, under the user's partition, expiring by TTL."""

from bailian_chat.store import dynamodb, keys, queries


def put_action(user_id: int, event: dict, expires_at: int) -> dict:
    """The item as a transaction action (for an event written with the change it records)."""
    item = {**keys.pk_sk(keys.audit(user_id, event["audit_id"])), **event, "expires_at": expires_at}
    return {"Put": {"Item": dynamodb.to_item(item)}}


def put(user_id: int, event: dict, expires_at: int) -> None:
    dynamodb.put_item(
        {**keys.pk_sk(keys.audit(user_id, event["audit_id"])), **event, "expires_at": expires_at}
    )


def _range(user_id: int) -> tuple[str, dict]:
    pk, _ = keys.audit(user_id, "")
    return "PK = :pk AND begins_with(SK, :prefix)", {":pk": pk, ":prefix": keys.AUDIT_PREFIX}


def count(user_id: int) -> int:
    condition, values = _range(user_id)
    return queries.count(condition, values)


def list_page(user_id: int, offset: int, limit: int) -> list[dict]:
    """The user's events, newest first."""
    condition, values = _range(user_id)
    items = queries.query_page(condition, values, offset=offset, limit=limit, forward=False)
    return [dynamodb.without_keys(item) for item in items]
