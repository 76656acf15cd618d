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


def events_page(user_id: int, offset: int, limit: int) -> tuple[int, list[dict]]:
    """How many events the user has and those [offset, offset+limit), newest first: one Query
    while they fit in one response (they expire, so they are bounded), counted beyond the page."""
    pk, _ = keys.audit(user_id, "")
    page = queries.query_counted_page(
        "PK = :pk AND begins_with(SK, :prefix)",
        {":pk": pk, ":prefix": keys.AUDIT_PREFIX},
        counted_prefix=keys.AUDIT_PREFIX,
        offset=offset,
        limit=limit,
        forward=False,
    )
    return page.total, [dynamodb.without_keys(item) for item in page.items]


def user_with_events_page(user_id: int, offset: int, limit: int) -> tuple[dict | None, int, list[dict]]:
    """The user (None when there is none) with events_page, in the same Query: the range from
    their profile down to their events holds only a few items besides (their counts, limits)."""
    pk, profile = keys.user(user_id)
    page = queries.query_counted_page(
        "PK = :pk AND SK BETWEEN :first AND :profile",
        {":pk": pk, ":first": keys.AUDIT_PREFIX, ":profile": profile},
        counted_prefix=keys.AUDIT_PREFIX,
        offset=offset,
        limit=limit,
        forward=False,  # the profile and those few first, the events after them
    )
    user = next((item for item in page.others if item["SK"] == profile), None)
    return dynamodb.without_keys(user), page.total, [dynamodb.without_keys(item) for item in page.items]
