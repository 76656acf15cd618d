"""POST /api/conversations/{conversation_id}/messages (spec 3.1)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import ConversationId
from bailian_chat.chat import messages
from bailian_chat.chat.models import SendMessageRequest

app = create_app()


@app.post("/api/conversations/<conversation_id>/messages")
def handle_send_message(conversation_id: ConversationId, request: Annotated[SendMessageRequest, Body()]):
    message, _conversation = messages.send(caller(app).user_id, conversation_id, request.content)
    return ok("Send successful", message)


handler = lambda_handler(app)
