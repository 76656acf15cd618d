"""Message items (one per message, under their conversation) and the by-id pointers."""

from bailian_chat.store import conversation_items, dynamodb, ids, keys, queries, rollup_items, transactions
from bailian_chat.store.item_types import ConversationItem, MessageItem, MessagePointer

MESSAGE_PREFIX = "MSG#"


class ConversationGone(Exception):
    """The conversation was deleted (or is being deleted) while a message was written."""


def add_message(
    conversation: dict,
    message: dict,
    now_iso: str,
    now_ms: int,
    day: str,
    also: list[transactions.NamedAction] = (),
) -> MessageItem:
    """Stores a message, its pointer, the conversation's new recency and count, and the daily
    rollup, in one transaction, under a new id; with `also` (actions that belong with it, e.g. the
    reply's rate-limit count) in the same transaction (transactions.AlsoRefused when one of them
    is refused)."""
    return ids.write_with_new_id(
        "message",
        lambda message_id: _add_message(conversation, message, message_id, now_iso, now_ms, day, also),
    )


def _add_message(
    conversation: dict,
    message: dict,
    message_id: int,
    now_iso: str,
    now_ms: int,
    day: str,
    also: list[transactions.NamedAction],
) -> MessageItem:
    conversation_id = conversation["conversation_id"]
    stored = {**message, "message_id": message_id, "conversation_id": conversation_id, "created_at": now_iso}
    pointer = {
        "message_id": message_id,
        "conversation_id": conversation_id,
        "owner_id": conversation["user_id"],
    }
    actions = [
        (
            "message",
            transactions.put_if_absent({**keys.pk_sk(keys.message(conversation_id, message_id)), **stored}),
        ),
        # Keyed by the id alone: the put that finds an id taken in any conversation.
        ("pointer", transactions.put_if_absent({**keys.pk_sk(keys.message_pointer(message_id)), **pointer})),
        ("conversation", conversation_items.touch_action(conversation, now_iso, now_ms, message_delta=1)),
        (
            "rollup",
            rollup_items.add_action(conversation["user_id"], day, conversation["model_name"], messages=1),
        ),
    ]
    own = {name for name, _ in actions}
    actions += also
    try:
        transactions.write(actions)
    except dynamodb.TransactionCancelled as exc:
        failed = transactions.failed(exc, actions)
        if "conversation" in failed:
            raise ConversationGone() from exc
        if failed - own:
            raise transactions.AlsoRefused(exc, actions) from exc
        if failed & {"message", "pointer"}:
            raise ids.IdTaken() from exc
        raise
    return stored


def get_pointer(message_id: int) -> MessagePointer | None:
    return dynamodb.get_item(*keys.message_pointer(message_id), consistent=True)


def delete_message(pointer: MessagePointer) -> bool:
    """Deletes a message, its pointer and one from its conversation's count; False if already gone."""
    conversation_id, message_id = pointer["conversation_id"], pointer["message_id"]
    actions = [
        ("message", transactions.delete_if_present(keys.message(conversation_id, message_id))),
        ("pointer", {"Delete": {"Key": dynamodb.key(*keys.message_pointer(message_id))}}),
        (
            "conversation",
            transactions.update_if_exists(
                keys.conversation(conversation_id), "ADD message_count :minus_one", {":minus_one": -1}
            ),
        ),
    ]
    try:
        transactions.write(actions)
    except dynamodb.TransactionCancelled as exc:
        if transactions.failed(exc, actions) & {"message", "conversation"}:
            return False  # the message (or its conversation) is already gone
        raise
    return True


# What a later page reads of the conversation item, which its keys-only skip of the earlier
# messages passes first: the owner, the count and the deleting flag.
CONVERSATION_CHECKED = ("user_id", "message_count", "deleting")


def conversation_with_messages(
    conversation_id: int, offset: int, limit: int
) -> tuple[ConversationItem | None, list[MessageItem]]:
    """The conversation (None when missing) and its messages [offset, offset+limit), oldest first,
    in one Query of its partition: its item ("CONV") sorts ahead of its messages ("MSG#..."). A
    later page has only CONVERSATION_CHECKED of the conversation."""
    pair = keys.conversation(conversation_id)
    page = queries.query_headed_page(
        "PK = :pk AND SK BETWEEN :conversation AND :last",
        {":pk": pair[0], ":conversation": pair[1], ":last": f"{MESSAGE_PREFIX}\uffff"},
        head=pair,
        head_attributes=CONVERSATION_CHECKED,
        offset=offset,
        limit=limit,
        consistent=True,  # the count and the page agree, and a message just sent is in it
    )
    return dynamodb.without_keys(page.head), [dynamodb.without_keys(item) for item in page.items]


def delete_all_messages(conversation_id: int) -> int:
    """Deletes every message of a conversation and their pointers, in batches; returns how many."""
    pk, _ = keys.conversation(conversation_id)
    message_keys = queries.query_all(
        "PK = :pk AND begins_with(SK, :prefix)",
        {":pk": pk, ":prefix": MESSAGE_PREFIX},
        projection="PK, SK",
        raw=True,
        consistent=True,  # every message written before the delete began
    )
    pointer_keys = [
        dynamodb.key(*keys.message_pointer(int(k["SK"]["S"].removeprefix(MESSAGE_PREFIX))))
        for k in message_keys
    ]
    queries.batch_delete(message_keys + pointer_keys)
    return len(message_keys)


def recent_messages(conversation_id: int, limit: int, up_to_message_id: int) -> list[MessageItem]:
    """The newest `limit` messages up to and including `up_to_message_id`, oldest first (the
    context a reply is generated from: never a message sent after the one being answered)."""
    pk, last_sk = keys.message(conversation_id, up_to_message_id)
    items = queries.query_page(
        "PK = :pk AND SK BETWEEN :first AND :last",
        {":pk": pk, ":first": MESSAGE_PREFIX, ":last": last_sk},
        offset=0,
        limit=limit,
        forward=False,
        consistent=True,  # the message being answered was written a moment ago
    )
    return [dynamodb.without_keys(item) for item in reversed(items)]
