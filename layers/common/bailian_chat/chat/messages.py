"""Use cases of the message endpoints."""

from bailian_chat import clock
from bailian_chat.bailian.wire import reply_content
from bailian_chat.chat.conversations import NOT_FOUND, check_owner, owned_conversation
from bailian_chat.chat.responses import Message
from bailian_chat.content import clip_text, content_type_of, dump_parts
from bailian_chat.errors import Forbidden, NotFound, RateLimited
from bailian_chat.paging import PageRequest, pagination
from bailian_chat.store import message_items, transactions
from bailian_chat.usage import rate_limit

ASSISTANT_USER_ID = 0


def public_message(message: dict) -> dict:
    return Message.pick(message)


def store_message(
    conversation: dict,
    role: str,
    user_id: int,
    content_type: str,
    content: list[dict],
    also: list = (),
) -> dict:
    """Stores a message (with `also`, actions written in its transaction: message_items.add_message)."""
    now = clock.instant()
    message = {
        "user_id": user_id,
        "role": role,
        "content_type": content_type,
        "content": content,
        "status": 1,
    }
    try:
        stored = message_items.add_message(conversation, message, now.iso, now.epoch_ms, now.day, also)
    except message_items.ConversationGone as exc:
        raise NotFound(NOT_FOUND) from exc
    return public_message(stored)


def send(user_id: int, conversation_id: int, parts: list) -> tuple[dict, dict]:
    """Stores the caller's message; returns it and the conversation it went to."""
    conversation = _conversation_to_send_to(user_id, conversation_id)
    message = store_message(conversation, "user", user_id, content_type_of(parts), dump_parts(parts))
    return message, conversation


def send_counting_reply(
    user_id: int, conversation_id: int, parts: list, reply_call: rate_limit.PendingModelCall
) -> tuple[dict, dict, RateLimited | None]:
    """Stores the caller's message with the rate-limit count of the reply it asks for, in one
    transaction. Should the limit refuse the count, the message is stored alone and the refusal
    returned (the reply is not asked for): the message is stored either way, as before."""
    conversation = _conversation_to_send_to(user_id, conversation_id)
    content_type, content = content_type_of(parts), dump_parts(parts)
    try:
        message = store_message(conversation, "user", user_id, content_type, content, reply_call.actions)
        return message, conversation, None
    except transactions.AlsoRefused as refused:
        limited = reply_call.refusal(refused.cancelled, refused.actions)
        if limited is None:
            raise refused.cancelled from refused
    return store_message(conversation, "user", user_id, content_type, content), conversation, limited


def _conversation_to_send_to(user_id: int, conversation_id: int) -> dict:
    return owned_conversation(user_id, conversation_id, "No permission to send messages in this conversation")


def history(user_id: int, conversation_id: int, page: PageRequest) -> dict:
    """The page with the conversation it belongs to, in one read; the same 404/403 as any other
    use of the conversation (another user's messages are read, never shown)."""
    found, items = message_items.conversation_with_messages(conversation_id, page.offset, page.limit)
    conversation = check_owner(found, user_id, "No permission to access messages in this conversation")
    total = conversation.get("message_count", 0)
    return {"messages": [public_message(m) for m in items], "pagination": pagination(page, total)}


def delete(user_id: int, message_id: int) -> None:
    pointer = message_items.get_pointer(message_id)
    if pointer is None:
        raise NotFound("Message does not exist")
    if pointer["owner_id"] != user_id:
        raise Forbidden("No permission to delete this message")
    if not message_items.delete_message(pointer):
        raise NotFound("Message does not exist")


def store_reply(conversation: dict, text: str) -> dict:
    """Stores the model's answer as the assistant's message (user_id 0), clipped to the message
    cap so that any history page still fits Lambda's 6 MB response."""
    return store_message(conversation, "assistant", ASSISTANT_USER_ID, "text", reply_content(clip_text(text)))
