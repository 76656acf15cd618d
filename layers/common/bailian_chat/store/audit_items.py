"""Audit items: one per security event, under the user's partition, expiring by TTL."""

from bailian_chat.store import dynamodb, keys, queries


def _item(user_id: int, event: dict, expires_at: int) -> dict:
    return {**keys.pk_sk(keys.audit(user_id, event["audit_id"])), **event, "expires_at": expires_at}


def put_action(user_id: int, event: dict, expires_at: int) -> dict:
    """The item as a transaction action (for an event written with the change it records)."""
    return {"Put": {"Item": dynamodb.to_item(_item(user_id, event, expires_at))}}


def put(user_id: int, event: dict, expires_at: int) -> None:
    dynamodb.put_item(_item(user_id, event, expires_at))


def _newest_first(user_id: int, last_sk: str, offset: int, limit: int) -> queries.CountedPage:
    """The user's items from their events (newest first) up to `last_sk`, the events counted and
    paged: one Query while they fit in one response (they expire, so they are bounded)."""
    pk, _ = keys.user(user_id)
    return queries.query_counted_page(
        "PK = :pk AND SK BETWEEN :first AND :last",
        {":pk": pk, ":first": keys.AUDIT_PREFIX, ":last": last_sk},
        counted_prefix=keys.AUDIT_PREFIX,
        offset=offset,
        limit=limit,
        forward=False,
    )


def events_page(user_id: int, offset: int, limit: int) -> tuple[int, list[dict]]:
    """How many events the user has and those [offset, offset+limit), newest first."""
    page = _newest_first(user_id, f"{keys.AUDIT_PREFIX}\uffff", offset, limit)
    return page.total, [dynamodb.without_keys(item) for item in page.items]


def user_with_events_page(user_id: int, offset: int, limit: int) -> tuple[dict | None, int, list[dict]]:
    """The user (None when there is none) with events_page, in the same Query: the range from
    their profile down to their events holds only a few items besides (their counts, limits),
    which come first."""
    _, profile = keys.user(user_id)
    page = _newest_first(user_id, profile, offset, limit)
    user = next((item for item in page.others if item["SK"] == profile), None)
    return dynamodb.without_keys(user), page.total, [dynamodb.without_keys(item) for item in page.items]
