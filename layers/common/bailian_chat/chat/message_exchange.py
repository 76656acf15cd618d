"""Use case of POST /api/conversations/{id}/messages (spec 3.1): the caller's message, then, unless
the client asked for none, the model's reply to it (the streamed twin is chat/reply_streams.py)."""

from dataclasses import replace

from bailian_chat.chat import messages, replies
from bailian_chat.chat.models import SendMessageOptions
from bailian_chat.usage import rate_limit
from bailian_chat.usage.model_calls import CallSource


def send_with_reply(source: CallSource, conversation_id: int, request: SendMessageOptions) -> dict:
    """The stored message with `reply` (the stored answer) and `reply_error` ({"code","message"}
    when the model failed or was rate-limited): both null when `generate` is false. The message
    stays stored whatever the model does. The reply's rate-limit count is written in the message's
    own transaction: one round trip fewer."""
    if not request.generate:
        message, _ = messages.send(source.user_id, conversation_id, request.content)
        return {**message, "reply": None, "reply_error": None}
    reply_call = rate_limit.pending_model_call(source.user_id)
    message, conversation, refused = messages.send_counting_reply(
        source.user_id, conversation_id, request.content, reply_call
    )
    if refused is not None:
        error = {"code": refused.status_code, "message": refused.message}
        return {**message, "reply": None, "reply_error": error}
    answer, error = replies.reply(conversation, message, replace(source, rate_limit_counted=True))
    return {**message, "reply": answer, "reply_error": error}
