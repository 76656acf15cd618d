"""PUT /api/conversations/{conversation_id} (spec 2.4): renames; moves it to the top of the list."""

from typing import Annotated

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import Body, ConversationId
from bailian_chat.chat import conversations
from bailian_chat.chat.models import UpdateConversationRequest
from bailian_chat.chat.responses import Conversation

app = create_app()


@app.put(
    "/api/conversations/<conversation_id>",
    summary="2.4 Update conversation",
    tags=["conversations"],
    responses=answers(
        "Update successful",
        {
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "No permission to modify this conversation",
            404: "Conversation does not exist",
        },
    ),
)
def handle_update_conversation(
    conversation_id: ConversationId, request: Annotated[UpdateConversationRequest, Body()]
) -> Conversation:
    return conversations.update(caller(app).user_id, conversation_id, request.title)


handler = lambda_handler(app)
