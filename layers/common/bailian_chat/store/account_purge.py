"""Deleting every item of an account, in bounded steps that can stop between any two and be run
again from the start (by the request, then by the stream-triggered continuation) until none is left.

Order matters for a purge that stops half-way: an item that leads to others (a conversation to its
messages, a session pointer to its session, the profile to its claims) is deleted after them, and
the profile, marked `deleting_at` first, goes last: while it exists the purge can be found and
finished; once it is gone nothing of the user is left.
"""

from collections.abc import Callable, Iterator

from bailian_chat.store import deployment_rollup_items, dynamodb, keys, queries, transactions, user_list_items

KEYS_ONLY = "PK, SK"
PROFILE = "PROFILE"
PROFILE_TRIES = 3


class Stopped(Exception):
    """The caller's time ran short: the rest is for the continuation."""


def mark_deleting(user_id: int, now: int, client_ip: str) -> dict | None:
    """Marks the user as being deleted (the authorizer and login refuse them from now on), with the
    address the request came from (its login-failure count is the user's too); returns the user, or
    None when there is no such user."""
    try:
        return dynamodb.without_keys(
            dynamodb.update_item(
                *keys.user(user_id),
                "SET deleting_at = if_not_exists(deleting_at, :now), deleting_from = :ip",
                {":now": now, ":ip": client_ip},
                ConditionExpression="attribute_exists(PK)",
            )
        )
    except dynamodb.ConditionFailed:
        return None


def purge(user: dict, client_ips: set[str], should_stop: Callable[[], bool]) -> None:
    """Deletes everything of `user` (as read when marked); raises Stopped when `should_stop()` says so
    between two steps (nothing is left half-written: each step is a batch of deletes)."""
    user_id = user["user_id"]
    steps: list[Iterator[list[dict]]] = [
        _api_keys(user_id),
        _conversations(user_id),
        _partition(keys.api_calls(user_id)),
        _partition(keys.spend_period(user_id, "")[0]),
        _partition(keys.spend_reservations(user_id)),
        _rollups(user_id),
        _partition(keys.rate_window(user_id, 0)[0]),
        iter([[dynamodb.key(*keys.login_failures(f"user:{user_id}", ip)) for ip in sorted(client_ips)]]),
        _sessions(user_id),
        _own_partition(user_id),
    ]
    for step in steps:
        for batch in step:
            queries.batch_delete(batch)
            if should_stop():
                raise Stopped()
    _delete_profile(user_id)


def _delete_profile(user_id: int) -> None:
    """The profile and its claims, with the user taken out of the user list's counts if they were
    in it, in one transaction: exactly once (a purge run again finds the profile gone). The
    profile is read again first (its status or listing may have changed since it was marked)."""
    for _ in range(PROFILE_TRIES):
        profile = dynamodb.get_item(*keys.user(user_id), consistent=True)
        if profile is None:
            return
        listed = user_list_items.LISTED in profile
        claim_is_theirs = {
            "ConditionExpression": "attribute_not_exists(PK) OR user_id = :user",
            "ExpressionAttributeValues": dynamodb.to_values({":user": user_id}),
        }
        as_read = {
            "ConditionExpression": f"#status = :status AND {user_list_items.listing_condition(listed)}",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": dynamodb.to_values({":status": profile.get("status")}),
        }
        actions = [
            (
                "username",
                {"Delete": {"Key": dynamodb.key(*keys.username(profile["username"])), **claim_is_theirs}},
            ),
            ("email", {"Delete": {"Key": dynamodb.key(*keys.email(profile["email"])), **claim_is_theirs}}),
            ("profile", {"Delete": {"Key": dynamodb.key(*keys.user(user_id)), **as_read}}),
        ]
        if listed:
            actions.append(("counts", user_list_items.removed(profile["status"])))
        try:
            transactions.write(actions)
            return
        except dynamodb.TransactionCancelled as exc:
            if "profile" not in transactions.failed(exc, actions):
                raise
    raise RuntimeError(f"the profile of user {user_id} kept changing while being deleted")


def session_client_ips(user_id: int) -> set[str]:
    """The addresses the user's sessions came from (their login-failure counts are theirs too)."""
    found = set()
    for page in _pointers(user_id, keys.USER_SESSIONS_PREFIX, "client_ip"):
        found.update(item["client_ip"] for item in page if item.get("client_ip"))
    return found


def _partition(pk: str, projection: str = KEYS_ONLY) -> Iterator[list[dict]]:
    for page in queries.query_pages("PK = :pk", {":pk": pk}, projection=projection):
        yield [dynamodb.key(item["PK"], item["SK"]) for item in page]


def _pointers(user_id: int, prefix: str, attribute: str) -> Iterator[list[dict]]:
    return queries.query_pages(
        "PK = :pk AND begins_with(SK, :prefix)",
        {":pk": keys.user(user_id)[0], ":prefix": prefix},
        projection=f"PK, SK, {attribute}",
    )


def _api_keys(user_id: int) -> Iterator[list[dict]]:
    """Each key's own rollups, spend periods and rate windows, then its pointer and the key item
    (the authorizer's lookup by digest) last: a key found half-purged is a key still to purge."""
    pages = queries.query_pages(
        "GSI1PK = :pk", {":pk": keys.user_api_keys(user_id)}, projection="PK, SK, key_id", index="GSI1"
    )
    for page in pages:
        for key in page:
            if "key_id" not in key:
                continue  # the count item heading the list: it goes with the USER# partition
            key_id = int(key["key_id"])
            yield from _partition(keys.api_key_daily_rollup(user_id, key_id, "", "")[0])
            yield from _partition(keys.key_spend_period(user_id, key_id, "")[0])
            yield from _partition(keys.rate_window(keys.api_key_rate_subject(key_id), 0)[0])
            yield [dynamodb.key(*keys.api_key_pointer(key_id)), dynamodb.key(key["PK"], key["SK"])]


def _conversations(user_id: int) -> Iterator[list[dict]]:
    """Each conversation's messages with their by-id pointers, then the conversation item."""
    for page in queries.query_pages(
        "GSI1PK = :pk", {":pk": keys.user_conversations(user_id)}, projection="conversation_id", index="GSI1"
    ):
        for conversation in page:
            if "conversation_id" not in conversation:
                continue  # the count item heading the list: it goes with the USER# partition
            conversation_id = int(conversation["conversation_id"])
            pk, sk = keys.conversation(conversation_id)
            for items in queries.query_pages("PK = :pk", {":pk": pk}, projection="PK, SK, message_id"):
                messages = [item for item in items if item["SK"] != sk]
                yield [dynamodb.key(item["PK"], item["SK"]) for item in messages] + [
                    dynamodb.key(*keys.message_pointer(int(item["message_id"])))
                    for item in messages
                    if item.get("message_id") is not None
                ]
            yield [dynamodb.key(pk, sk)]


def _rollups(user_id: int) -> Iterator[list[dict]]:
    """The user's daily rollups and their rows in the deployment's ranking (its totals stay)."""
    pk, _ = keys.daily_rollup(user_id, "", "")
    pages = queries.query_pages(
        "PK = :pk", {":pk": pk}, projection="PK, SK, #day, model_name", names={"#day": "date"}
    )
    shards = deployment_rollup_items.user_shards(user_id)  # one read for every page
    for page in pages:
        day_models = [(row["date"], row["model_name"]) for row in page]
        deployment_rollup_items.delete_user_rows(user_id, day_models, shards)
        yield [dynamodb.key(row["PK"], row["SK"]) for row in page]


def _sessions(user_id: int) -> Iterator[list[dict]]:
    for page in _pointers(user_id, keys.USER_SESSIONS_PREFIX, "session_id"):
        yield [dynamodb.key(*keys.session(item["session_id"])) for item in page]


def _own_partition(user_id: int) -> Iterator[list[dict]]:
    """Everything under USER#id (pointers, counts, audit) but the profile, which goes last."""
    for batch in _partition(keys.user(user_id)[0]):
        yield [key for key in batch if key["SK"]["S"] != PROFILE]
