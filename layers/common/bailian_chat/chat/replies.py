"""The assistant's reply to a message sent in a conversation."""

from dataclasses import replace

from aws_lambda_powertools import Logger

from bailian_chat.bailian.wire import to_upstream
from bailian_chat.chat.messages import store_reply
from bailian_chat.chat.model_catalog import answers_only_streamed
from bailian_chat.config import get_settings
from bailian_chat.errors import BadRequest, NotFound, RateLimited, UpstreamUnavailable
from bailian_chat.store import message_items
from bailian_chat.usage.model_calls import CallSource, call_model

logger = Logger(child=True)
REPLY_FAILURES = (BadRequest, NotFound, RateLimited, UpstreamUnavailable)


def context_messages(conversation_id: int, up_to_message_id: int) -> list[dict]:
    """The messages up to the one being answered, oldest first, within the configured count and
    size budget."""
    settings = get_settings()
    recent = message_items.recent_messages(conversation_id, settings.reply_history_messages, up_to_message_id)
    kept, size = [], 0
    for message in reversed(recent):
        size += sum(len(part.get("text", "")) + 64 for part in message["content"])
        if kept and size > settings.reply_history_chars:
            break
        kept.append(message)
    return [to_upstream(m["role"], m["content"]) for m in reversed(kept)]


def reply(conversation: dict, user_message: dict, source: CallSource) -> tuple[dict | None, dict | None]:
    """Asks the conversation's model and stores its answer (role assistant, user_id 0).
    Returns (reply, None), or (None, reply_error) when the model failed or was rate-limited:
    the user's message stays stored either way."""
    source = replace(
        source, conversation_id=conversation["conversation_id"], message_id=user_message["message_id"]
    )
    try:
        context = context_messages(conversation["conversation_id"], user_message["message_id"])
        model = conversation["model_name"]
        payload = {"model": model, "messages": context}
        completion = call_model(source, payload, streamed=answers_only_streamed(model))
        return store_reply(conversation, completion.text), None
    except REPLY_FAILURES as exc:  # includes NotFound: the conversation was deleted meanwhile
        return None, {"code": exc.status_code, "message": exc.message}
    except Exception:
        # The user's message is stored: answer 200 with the failure rather than a 500 that
        # invites a retry (and a duplicate message).
        logger.exception("Reply generation failed")
        return None, {"code": 500, "message": "Server internal error"}
