"""The admin list of every user newest first (no search): each user item is indexed on GSI2 in one
partition by id (ids grow with time), headed by a count item (`total`, `status_<s>` per status)
changed in the same transactions as the users it counts, so one Query reads a page and its total.

Users stored before this list lack the index keys, so the count item is authoritative only once
it says `indexed`: the backfill sets it after indexing (and counting) every such user, the first
registration of a table without users creates it so. Until then the admin list reads the
directory. A user item counted is one with GSI2PK: every change of the counts conditions on it.
"""

import contextlib

from bailian_chat.store import dynamodb, keys, queries, transactions

TOTAL = "total"
INDEXED = "indexed"
LISTED = "GSI2PK"  # a user item that has it is in the list and counted
INDEX_TRIES = 3  # the user changed meanwhile: read again and index it as it now is
HEAD = {"GSI2PK": keys.ALL_USERS, "GSI2SK": keys.HEAD_OF_NEWEST_FIRST}  # the count item's index keys


def status_count(status: int) -> str:
    return f"status_{status}"


def entry(user_id: int) -> dict:
    """The index keys that put a user item in the list."""
    return {"GSI2PK": keys.ALL_USERS, "GSI2SK": keys.user_order(user_id)}


def listing_condition(listed: bool) -> str:
    """A user item's condition that it is (or is not yet) in the list, as read."""
    return f"attribute_exists({LISTED})" if listed else f"attribute_not_exists({LISTED})"


def count_change(deltas: dict[str, int], *, must_exist: bool = False) -> dict:
    """Update of the count item adding `deltas` (count attribute: delta), kept at the list's head."""
    return transactions.count_at_head(
        keys.user_counts(),
        deltas,
        index="GSI2",
        list_pk=HEAD["GSI2PK"],
        head_sk=HEAD["GSI2SK"],
        condition=transactions.EXISTS if must_exist else None,
    )


def added(status: int, *, must_exist: bool = False) -> dict:
    """A user counted in (their status's count and the total)."""
    return count_change({TOTAL: 1, status_count(status): 1}, must_exist=must_exist)


def registered(status: int) -> dict:
    """A new user counted (registration; fails without a count item: see start_counting)."""
    return added(status, must_exist=True)


def status_moved(was: int, now: int) -> dict:
    return count_change({status_count(was): -1, status_count(now): 1})


def removed(status: int) -> dict:
    return count_change({TOTAL: -1, status_count(status): -1})


def start_counting() -> None:
    """Creates the count item (the first registration since the list exists): `indexed` when the
    table has no user yet, else the backfill must index the users before it."""
    no_users = not queries.query_page(
        "GSI1PK = :dir", {":dir": keys.USER_DIRECTORY}, offset=0, limit=1, index="GSI1"
    )
    with contextlib.suppress(dynamodb.ConditionFailed):  # a concurrent registration made it
        dynamodb.put_item(
            {**keys.pk_sk(keys.user_counts()), **HEAD, TOTAL: 0, **({INDEXED: True} if no_users else {})},
            ConditionExpression=transactions.NOT_EXISTS,
        )


def users_page(status: int | None, offset: int, limit: int) -> tuple[int, list[dict]] | None:
    """How many users (of `status`, if given) there are and those [offset, offset+limit) newest
    first, in one Query (the filter keeps the count item, which has no user_id); None while the
    count item is not authoritative."""
    counted = TOTAL if status is None else status_count(status)
    filtered = {}
    if status is not None:
        filtered = {
            "filter_expression": "attribute_not_exists(#user_id) OR #status = :status",
            "names": {"#user_id": "user_id", "#status": "status"},
        }
    page = queries.query_headed_page(
        "GSI2PK = :list",
        {":list": keys.ALL_USERS, **({":status": status} if status is not None else {})},
        head=keys.user_counts(),
        head_attributes=(INDEXED, counted),
        offset=offset,
        limit=limit,
        index="GSI2",
        forward=False,
        **filtered,
    )
    if page.head is None or not page.head.get(INDEXED):
        return None
    return int(page.head.get(counted, 0)), [dynamodb.without_keys(item) for item in page.items]


def index_user(user: dict) -> bool:
    """Puts a user stored before the list (the raw item, keys included) in it and counts them,
    once: False if they already were or are gone. The user's status must still be as read."""
    pair = (user["PK"], user["SK"])
    for _ in range(INDEX_TRIES):
        if user is None or LISTED in user:
            return False
        index_keys = entry(user["user_id"])
        listing = {
            "Update": {
                "Key": dynamodb.key(*pair),
                "UpdateExpression": "SET " + ", ".join(f"{name} = :{name}" for name in index_keys),
                "ConditionExpression": "attribute_exists(PK) AND #status = :status AND "
                + listing_condition(False),
                "ExpressionAttributeNames": {"#status": "status"},
                "ExpressionAttributeValues": dynamodb.to_values(
                    {**{f":{name}": value for name, value in index_keys.items()}, ":status": user["status"]}
                ),
            }
        }
        try:
            transactions.write([("user", listing), ("counts", added(user["status"]))])
            return True
        except dynamodb.TransactionCancelled:
            user = dynamodb.get_item(*pair, consistent=True)
    raise RuntimeError(f"user {pair[0]} kept changing while being indexed")


def mark_indexed() -> None:
    """Every user is indexed: the count item is authoritative from now on."""
    dynamodb.update_item(
        *keys.user_counts(),
        "SET #indexed = :yes, GSI2PK = :list, GSI2SK = :head ADD #total :zero",
        {":yes": True, ":list": HEAD["GSI2PK"], ":head": HEAD["GSI2SK"], ":zero": 0},
        ExpressionAttributeNames={"#indexed": INDEXED, "#total": TOTAL},
    )
