"""Conversation items, the per-user counts that page totals come from, and the recency indexes.

GSI1 holds a user's conversations by recency, GSI2 the same per model; both sort keys move
whenever a conversation is renamed or gets a message, so the list is newest-updated first.
"""

from bailian_chat.store import dynamodb, ids, keys, queries, rollup_items, transactions
from bailian_chat.store.item_types import ConversationItem

TOTAL = "total"
LIVE = "attribute_exists(PK) AND attribute_not_exists(deleting)"


def _model_count(model_name: str) -> str:
    return f"model#{model_name}"


def _recency_attributes(user_id: int, model_name: str, conversation_id: int, updated_ms: int) -> dict:
    recency = keys.recency(updated_ms, conversation_id)
    return {
        "GSI1PK": keys.user_conversations(user_id),
        "GSI1SK": recency,
        "GSI2PK": keys.user_conversations(user_id, model_name),
        "GSI2SK": recency,
    }


def _count_action(user_id: int, model_name: str, amount: int) -> dict:
    return {
        "Update": {
            "Key": dynamodb.key(*keys.conversation_counts(user_id)),
            "UpdateExpression": "ADD #total :amount, #model :amount",
            "ExpressionAttributeNames": {"#total": TOTAL, "#model": _model_count(model_name)},
            "ExpressionAttributeValues": dynamodb.to_values({":amount": amount}),
        }
    }


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
        ("counts", _count_action(user_id, model_name, 1)),
        ("rollup", rollup_items.add_action(user_id, day, model_name, conversations=1)),
    ]
    try:
        transactions.write(actions)
    except dynamodb.TransactionCancelled as exc:
        if "conversation" in transactions.failed(exc, actions):
            raise ids.IdTaken() from exc
        raise
    return conversation


def get_conversation(conversation_id: int) -> ConversationItem | None:
    return dynamodb.without_keys(dynamodb.get_item(*keys.conversation(conversation_id), consistent=True))


def count_conversations(user_id: int, model_name: str | None) -> int:
    counts = dynamodb.get_item(*keys.conversation_counts(user_id), consistent=True) or {}
    return counts.get(TOTAL if model_name is None else _model_count(model_name), 0)


def list_conversations(user_id: int, model_name: str | None, offset: int, limit: int) -> list[dict]:
    index, attribute = ("GSI1", "GSI1PK") if model_name is None else ("GSI2", "GSI2PK")
    items = queries.query_page(
        f"{attribute} = :pk",
        {":pk": keys.user_conversations(user_id, model_name)},
        offset=offset,
        limit=limit,
        index=index,
        forward=False,
    )
    return [dynamodb.without_keys(item) for item in items]


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
        ("counts", _count_action(conversation["user_id"], conversation["model_name"], -1)),
    ]
    try:
        transactions.write(actions)
    except dynamodb.TransactionCancelled as exc:
        if "conversation" in transactions.failed(exc, actions):
            return False
        raise
    return True
