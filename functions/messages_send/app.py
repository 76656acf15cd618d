"""POST /api/conversations/{conversation_id}/messages (spec 3.1): stores the message and, unless
`generate` is false, the model's reply (`reply`, or `reply_error` when the model failed)."""

from typing import Annotated

from bailian_chat.api.answers import BAD_REQUEST, GATEWAY_TIMEOUT, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import create_app, lambda_handler, model_call_source
from bailian_chat.api.params import Body, ConversationId
from bailian_chat.chat import message_exchange
from bailian_chat.chat.models import SendMessageOptions
from bailian_chat.chat.responses import SentMessage

app = create_app()


@app.post(
    "/api/conversations/<conversation_id>/messages",
    summary="3.1 Send message",
    tags=["messages"],
    responses=answers(
        "Send successful",
        {
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "No permission to send messages in this conversation",
            404: "Conversation does not exist",
            504: GATEWAY_TIMEOUT,
        },
    ),
)
def handle_send_message(
    conversation_id: ConversationId, request: Annotated[SendMessageOptions, Body()]
) -> SentMessage:
    return message_exchange.send_with_reply(model_call_source(app), conversation_id, request)


handler = lambda_handler(app)
