"""POST /api/conversations (spec 2.1)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.chat import conversations
from bailian_chat.chat.models import CreateConversationRequest

app = create_app()


@app.post("/api/conversations")
def handle_create_conversation(request: Annotated[CreateConversationRequest, Body()]):
    conversation = conversations.create(caller(app).user_id, request.model_name, request.title)
    return ok("Creation successful", conversation)


handler = lambda_handler(app)
