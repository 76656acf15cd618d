"""Conversation items, the per-user counts that page totals come from, and the recency indexes.

GSI1 holds a user's conversations by recency, GSI2 the same per model; both sort keys move
whenever a conversation is renamed or gets a message, so the list is newest-updated first. Each
list is headed by its count item (the user's total on GSI1, one item per model on GSI2), so a page
and its total are one Query.
"""

from bailian_chat.store import dynamodb, ids, keys, queries, rollup_items, transactions
from bailian_chat.store.item_types import ConversationItem

TOTAL = "total"
MODEL_COUNT = "count"
COUNTS = "counts"  # the name of the total's action in a transaction
UPGRADE_TRIES = 3
# A total stored before the per-model count items counted each model itself (`model#<name>`): read
# only from such a total, never written since.
LEGACY_MODEL_COUNT = "model#"
LIVE = "attribute_exists(PK) AND attribute_not_exists(deleting)"


def _recency_attributes(user_id: int, model_name: str, conversation_id: int, updated_ms: int) -> dict:
    recency = keys.recency(updated_ms, conversation_id)
    return {
        "GSI1PK": keys.user_conversations(user_id),
        "GSI1SK": recency,
        "GSI2PK": keys.user_conversations(user_id, model_name),
        "GSI2SK": recency,
    }


def _count_actions(user_id: int, model_name: str, amount: int, legacy: dict | None = None) -> list:
    """The user's total and the model's count item, each indexed at the head of its list. The total
    must not be a count item from before the model's items existed (it counted per model itself):
    `legacy`, that item as read, makes the model items from its per-model counts (once)."""
    if legacy is None:
        condition, seen = "attribute_not_exists(PK) OR attribute_exists(GSI1PK)", {}
    else:  # unchanged since it was read
        condition, seen = "attribute_not_exists(GSI1PK) AND #seen = :seen", {":seen": legacy.get(TOTAL, 0)}
    total = transactions.count_at_head(
        keys.conversation_counts(user_id),
        {TOTAL: amount},
        index="GSI1",
        list_pk=keys.user_conversations(user_id),
        head_sk=keys.HEAD_OF_NEWEST_FIRST,
        condition=condition,
        names={"#seen": TOTAL} if seen else None,
        values=seen,
    )
    total["Update"]["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
    counts = {model_name: amount}
    for name, stored in (legacy or {}).items():
        if name.startswith(LEGACY_MODEL_COUNT) and stored:
            model = name.removeprefix(LEGACY_MODEL_COUNT)
            counts[model] = counts.get(model, 0) + int(stored)
    return [(COUNTS, total)] + [
        (f"model count {model}", _model_count_action(user_id, model, count, put=legacy is not None))
        for model, count in counts.items()
    ]


def _model_count_action(user_id: int, model_name: str, amount: int, *, put: bool) -> dict:
    """ADD `amount` to the model's count item; `put`: store it as the count (made from a legacy total)."""
    pair = keys.conversation_model_count(user_id, model_name)
    model_list = keys.user_conversations(user_id, model_name)
    if put:
        head = {"GSI2PK": model_list, "GSI2SK": keys.HEAD_OF_NEWEST_FIRST}
        return {"Put": {"Item": dynamodb.to_item({**keys.pk_sk(pair), **head, MODEL_COUNT: amount})}}
    return transactions.count_at_head(
        pair, {MODEL_COUNT: amount}, index="GSI2", list_pk=model_list, head_sk=keys.HEAD_OF_NEWEST_FIRST
    )


def _write_counted(actions: list, user_id: int, model_name: str, amount: int) -> None:
    """Writes `actions` with the count changes in one transaction. A count item stored before the
    per-model items existed fails its condition, with the item as it was: the transaction is written
    again with the model items made from it (a concurrent change of it sends us round again)."""
    legacy = None
    for _ in range(UPGRADE_TRIES):
        attempt = actions + _count_actions(user_id, model_name, amount, legacy)
        try:
            transactions.write(attempt)
            return
        except dynamodb.TransactionCancelled as exc:
            if transactions.failed(exc, attempt) != {COUNTS}:
                raise
            seen = exc.items[[name for name, _ in attempt].index(COUNTS)]
            legacy = seen if seen is not None and "GSI1PK" not in seen else None
    raise RuntimeError("the conversation count kept changing while it was upgraded")


def create_conversation(
    user_id: int, title: str, model_name: str, now_iso: str, now_ms: int, day: str
) -> ConversationItem:
    """Stores a new conversation under a new id, with its user's counts and daily rollup."""
    return ids.write_with_new_id(
        "conversation",
        lambda conversation_id: _create_conversation(
            conversation_id, user_id, title, model_name, now_iso, now_ms, day
        ),
    )


def _create_conversation(
    conversation_id: int, user_id: int, title: str, model_name: str, now_iso: str, now_ms: int, day: str
) -> ConversationItem:
    conversation = {
        "conversation_id": conversation_id,
        "user_id": user_id,
        "title": title,
        "model_name": model_name,
        "status": 1,
        "created_at": now_iso,
        "updated_at": now_iso,
        "message_count": 0,
    }
    item = {
        **keys.pk_sk(keys.conversation(conversation_id)),
        **conversation,
        **_recency_attributes(user_id, model_name, conversation_id, now_ms),
    }
    actions = [
        ("conversation", transactions.put_if_absent(item)),
        ("rollup", rollup_items.add_action(user_id, day, model_name, conversations=1)),
    ]
    try:
        _write_counted(actions, user_id, model_name, 1)
    except dynamodb.TransactionCancelled as exc:
        if "conversation" in transactions.failed(exc, actions):
            raise ids.IdTaken() from exc
        raise
    return conversation


def get_conversation(conversation_id: int) -> ConversationItem | None:
    return dynamodb.without_keys(dynamodb.get_item(*keys.conversation(conversation_id), consistent=True))


def count_conversations(user_id: int, model_name: str | None) -> int:
    """From the user's total item: what a list without its count item at its head (a user whose
    counts were never written since the per-model items exist) is counted from."""
    counts = dynamodb.get_item(*keys.conversation_counts(user_id), consistent=True) or {}
    return counts.get(TOTAL if model_name is None else f"{LEGACY_MODEL_COUNT}{model_name}", 0)


def conversations_page(
    user_id: int, model_name: str | None, offset: int, limit: int
) -> tuple[int, list[ConversationItem]]:
    """How many conversations the user has (of `model_name`, if given) and those [offset,
    offset+limit), newest-updated first: one Query of the list headed by its count item (a count
    item stored before it was indexed is read apart)."""
    if model_name is None:
        index, head, attribute = "GSI1", keys.conversation_counts(user_id), TOTAL
    else:
        index, head, attribute = "GSI2", keys.conversation_model_count(user_id, model_name), MODEL_COUNT
    page = queries.query_headed_page(
        f"{index}PK = :pk",
        {":pk": keys.user_conversations(user_id, model_name)},
        head=head,
        head_attributes=(attribute,),
        offset=offset,
        limit=limit,
        index=index,
        forward=False,
    )
    total = page.count(attribute, lambda: count_conversations(user_id, model_name))
    return total, [dynamodb.without_keys(item) for item in page.items]


def touch_action(conversation: dict, now_iso: str, now_ms: int, message_delta: int = 0) -> dict:
    """Moves a conversation to the top of its owner's list (and counts a message) in a transaction."""
    recency = keys.recency(now_ms, conversation["conversation_id"])
    return {
        "Update": {
            "Key": dynamodb.key(*keys.conversation(conversation["conversation_id"])),
            "UpdateExpression": (
                "SET updated_at = :now, GSI1SK = :recency, GSI2SK = :recency ADD message_count :delta"
            ),
            "ConditionExpression": LIVE,
            "ExpressionAttributeValues": dynamodb.to_values(
                {":now": now_iso, ":recency": recency, ":delta": message_delta}
            ),
        }
    }


def rename_conversation(conversation_id: int, title: str, now_iso: str, now_ms: int) -> dict | None:
    """The renamed conversation, or None when it no longer exists."""
    try:
        item = dynamodb.update_item(
            *keys.conversation(conversation_id),
            "SET title = :title, updated_at = :now, GSI1SK = :recency, GSI2SK = :recency",
            {":title": title, ":now": now_iso, ":recency": keys.recency(now_ms, conversation_id)},
            ConditionExpression=LIVE,
        )
    except dynamodb.ConditionFailed:
        return None
    return dynamodb.without_keys(item)


def mark_deleting(conversation_id: int) -> bool:
    """Closes the conversation to new messages before its messages are removed."""
    try:
        dynamodb.update_item(
            *keys.conversation(conversation_id),
            "SET deleting = :true",
            {":true": True},
            ConditionExpression="attribute_exists(PK)",
        )
    except dynamodb.ConditionFailed:
        return False
    return True


def delete_conversation(conversation: dict) -> bool:
    """Removes the conversation item and its count, once its messages are gone; False when a
    concurrent delete already did."""
    actions = [
        ("conversation", transactions.delete_if_present(keys.conversation(conversation["conversation_id"]))),
    ]
    try:
        _write_counted(actions, conversation["user_id"], conversation["model_name"], -1)
    except dynamodb.TransactionCancelled as exc:
        if "conversation" in transactions.failed(exc, actions):
            return False
        raise
    return True
