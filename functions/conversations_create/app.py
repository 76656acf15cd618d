"""POST /api/conversations (spec 2.1)."""

from typing import Annotated

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import Body
from bailian_chat.chat import conversations
from bailian_chat.chat.models import CreateConversationRequest
from bailian_chat.chat.responses import Conversation

app = create_app()


@app.post(
    "/api/conversations",
    summary="2.1 Create conversation",
    tags=["conversations"],
    responses=answers("Creation successful", {400: BAD_REQUEST, 401: NOT_AUTHENTICATED}),
)
def handle_create_conversation(request: Annotated[CreateConversationRequest, Body()]) -> Conversation:
    return conversations.create(caller(app).user_id, request.model_name, request.title)


handler = lambda_handler(app)
