"""Use cases of the conversation endpoints, with the ownership rule: another user's
conversation is 403, a missing one 404."""

from bailian_chat import clock
from bailian_chat.chat.responses import Conversation
from bailian_chat.errors import Forbidden, NotFound
from bailian_chat.paging import PageRequest, pagination
from bailian_chat.store import conversation_items, message_items

DEFAULT_TITLE = "New Conversation"
NOT_FOUND = "Conversation does not exist"


def public_conversation(conversation: dict) -> dict:
    return Conversation.pick(conversation)


def owned_conversation(user_id: int, conversation_id: int, forbidden_message: str) -> dict:
    """The caller's conversation; 404 when missing (or being deleted), 403 when someone else's."""
    return check_owner(conversation_items.get_conversation(conversation_id), user_id, forbidden_message)


def check_owner(conversation: dict | None, user_id: int, forbidden_message: str) -> dict:
    """`conversation` if it is the caller's: 404 when missing (or being deleted), 403 when someone
    else's."""
    if conversation is None or conversation.get("deleting"):
        raise NotFound(NOT_FOUND)
    if conversation["user_id"] != user_id:
        raise Forbidden(forbidden_message)
    return conversation


def create(user_id: int, model_name: str, title: str | None) -> dict:
    now = clock.instant()
    conversation = conversation_items.create_conversation(
        user_id, title or DEFAULT_TITLE, model_name, now.iso, now.epoch_ms, now.day
    )
    return public_conversation(conversation)


def list_page(user_id: int, page: PageRequest, model_name: str | None) -> dict:
    total, items = conversation_items.conversations_page(user_id, model_name, page.offset, page.limit)
    return {"conversations": [public_conversation(c) for c in items], "pagination": pagination(page, total)}


def get(user_id: int, conversation_id: int) -> dict:
    return public_conversation(
        owned_conversation(user_id, conversation_id, "No permission to access this conversation")
    )


def update(user_id: int, conversation_id: int, title: str | None) -> dict:
    conversation = owned_conversation(user_id, conversation_id, "No permission to modify this conversation")
    if title is None:
        return public_conversation(conversation)
    now = clock.instant()
    renamed = conversation_items.rename_conversation(conversation_id, title, now.iso, now.epoch_ms)
    if renamed is None:
        raise NotFound(NOT_FOUND)
    return public_conversation(renamed)


def delete(user_id: int, conversation_id: int) -> None:
    """Closes the conversation to new messages, removes its messages in batches, then the
    conversation itself: a retry after a failure finishes the job, and no message is orphaned."""
    conversation = conversation_items.get_conversation(conversation_id)
    if conversation is None:
        raise NotFound(NOT_FOUND)
    if conversation["user_id"] != user_id:
        raise Forbidden("No permission to delete this conversation")
    if not conversation_items.mark_deleting(conversation_id):
        raise NotFound(NOT_FOUND)
    message_items.delete_all_messages(conversation_id)
    if not conversation_items.delete_conversation(conversation):
        raise NotFound(NOT_FOUND)  # a concurrent delete finished first
