"""PUT /api/conversations/{conversation_id} (spec 2.4): renames; moves it to the top of the list."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import ConversationId
from bailian_chat.chat import conversations
from bailian_chat.chat.models import UpdateConversationRequest

app = create_app()


@app.put("/api/conversations/<conversation_id>")
def handle_update_conversation(
    conversation_id: ConversationId, request: Annotated[UpdateConversationRequest, Body()]
):
    conversation = conversations.update(caller(app).user_id, conversation_id, request.title)
    return ok("Update successful", conversation)


handler = lambda_handler(app)
