"""API key items. The key item is addressed by the HMAC digest of its secret (never the secret
itself), so the authorizer finds it with its user in one BatchGetItem; a pointer item finds it by
its public id; a per-user count item, indexed at the head of the user's list, gives the list's
total in the page's own Query."""

import contextlib

from bailian_chat.store import budget_items, dynamodb, ids, keys, queries, transactions
from bailian_chat.store.item_types import ApiKeyItem, SpendLimits, UserItem

ACTIVE = "active"
REVOKED = "revoked"
COUNT = "count"


def create_key(digest: str, key: dict) -> ApiKeyItem:
    """Stores a new key (`key` without its id) with its pointer and the owner's count, in one
    transaction; returns it with its new `key_id`."""
    return ids.write_with_new_id("api_key", lambda key_id: _create_key(digest, key, key_id))


def _create_key(digest: str, key: dict, key_id: int) -> dict:
    stored = {**key, "key_id": key_id, "status": ACTIVE}
    user_id = key["user_id"]
    item = {
        **keys.pk_sk(keys.api_key(digest)),
        "GSI1PK": keys.user_api_keys(user_id),
        "GSI1SK": keys.api_key_order(key_id),
        **stored,
    }
    pointer = {**keys.pk_sk(keys.api_key_pointer(key_id)), "user_id": user_id, "digest": digest}
    count = transactions.count_at_head(  # (and so a count item from before gets its index keys)
        keys.api_key_counts(user_id),
        {COUNT: 1},
        index="GSI1",
        list_pk=keys.user_api_keys(user_id),
        head_sk=keys.HEAD_OF_OLDEST_FIRST,
    )
    actions = [
        ("key", transactions.put_if_absent(item)),
        ("pointer", transactions.put_if_absent(pointer)),  # keyed by the id alone
        ("count", count),
    ]
    try:
        transactions.write(actions)
    except dynamodb.TransactionCancelled as exc:
        if "pointer" in transactions.failed(exc, actions):
            raise ids.IdTaken() from exc
        raise
    return stored


def get_key_and_user(
    digest: str, user_id: int | None
) -> tuple[ApiKeyItem | None, UserItem | None, SpendLimits]:
    """The key, its user and the user's spend limits (`budget_items.limits_of`), strongly
    consistent (a revocation or a disabling holds on the very next request). With the user id the
    secret names: one BatchGetItem, the key's own user_id checked against it; without (a key from
    before ids were in secrets): the key, then the user and limits."""
    key_key = keys.api_key(digest)
    key = None
    if user_id is None:
        key = dynamodb.without_keys(dynamodb.get_item(*key_key, consistent=True))
        if key is None:
            return None, None, {}
        user_id = int(key["user_id"])
    user_key, limits_key = keys.user(user_id), keys.budget_limits(user_id)
    found = dynamodb.get_items([*([key_key] if key is None else []), user_key, limits_key], consistent=True)
    key = key or dynamodb.without_keys(found.get(key_key))
    if key is None or int(key["user_id"]) != user_id:
        return None, None, {}
    user = found.get(user_key)
    return key, dynamodb.without_keys(user), budget_items.limits_of(found.get(limits_key), user)


def count_keys(user_id: int) -> int:
    item = dynamodb.get_item(*keys.api_key_counts(user_id))
    return int(item[COUNT]) if item else 0


def keys_page(user_id: int, offset: int, limit: int) -> tuple[int, list[ApiKeyItem]]:
    """How many keys the user has and their keys [offset, offset+limit), oldest first: one Query
    (the count item heads the list; one stored before it was indexed is read apart)."""
    page = queries.query_headed_page(
        "GSI1PK = :pk",
        {":pk": keys.user_api_keys(user_id)},
        head=keys.api_key_counts(user_id),
        head_attributes=(COUNT,),
        offset=offset,
        limit=limit,
        index="GSI1",
    )
    total = page.count(COUNT, lambda: count_keys(user_id))
    return total, [dynamodb.without_keys(item) for item in page.items]


def revoke_key(user_id: int, key_id: int, when: str) -> dict | None:
    """Marks the user's key revoked (kept, so the list and the call history still name it);
    the key as it now is, or None when the user has no key of that id."""
    pointer = dynamodb.get_item(*keys.api_key_pointer(key_id), consistent=True)
    if pointer is None or pointer.get("user_id") != user_id:
        return None
    try:
        item = dynamodb.update_item(
            *keys.api_key(pointer["digest"]),
            "SET #status = :revoked, revoked_at = if_not_exists(revoked_at, :when)",
            {":revoked": REVOKED, ":when": when, ":user": user_id},
            ConditionExpression="user_id = :user",
            ExpressionAttributeNames={"#status": "status"},
        )
    except dynamodb.ConditionFailed:
        return None
    return dynamodb.without_keys(item)


def touch_last_used(digest: str, when: str, stale_before: str) -> None:
    """Sets last_used_at unless another request did so since `stale_before` (one write a minute
    per key at most, however many requests use it)."""
    with contextlib.suppress(dynamodb.ConditionFailed):
        dynamodb.update_item(
            *keys.api_key(digest),
            "SET last_used_at = :when",
            {":when": when, ":stale": stale_before},
            ConditionExpression="attribute_exists(PK) AND "
            "(attribute_not_exists(last_used_at) OR last_used_at < :stale)",
        )
