"""Use case of POST /api/conversations/{id}/messages (spec 3.1): the caller's message, then, unless
the client asked for none, the model's reply to it (the streamed twin is chat/reply_streams.py)."""

from bailian_chat.chat import replies
from bailian_chat.chat.models import SendMessageOptions
from bailian_chat.usage.model_calls import CallSource


def send_with_reply(source: CallSource, conversation_id: int, request: SendMessageOptions) -> dict:
    """The stored message with `reply` (the stored answer) and `reply_error` ({"code","message"}
    when the model failed): both null when `generate` is false. The message stays stored whatever
    the model does."""
    return replies.send_with_reply(source, conversation_id, request.content, request.generate)
