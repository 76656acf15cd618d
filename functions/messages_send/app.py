"""POST /api/conversations/{conversation_id}/messages (spec 3.1): stores the message and, unless
`generate` is false, the model's reply (`reply`, or `reply_error` when the model failed)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from bailian_chat.api.app import create_app, lambda_handler, model_call_source
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import ConversationId
from bailian_chat.chat import replies
from bailian_chat.chat.models import SendMessageOptions

app = create_app()


@app.post("/api/conversations/<conversation_id>/messages")
def handle_send_message(conversation_id: ConversationId, request: Annotated[SendMessageOptions, Body()]):
    source = model_call_source(app)
    data = replies.send_with_reply(source, conversation_id, request.content, request.generate)
    return ok("Send successful", data)


handler = lambda_handler(app)
