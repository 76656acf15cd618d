"""GET /api/conversations/{conversation_id} (spec 2.3)."""

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import ConversationId
from bailian_chat.chat import conversations
from bailian_chat.chat.responses import Conversation

app = create_app()


@app.get(
    "/api/conversations/<conversation_id>",
    summary="2.3 Get conversation details",
    tags=["conversations"],
    responses=answers(
        "Retrieval successful",
        {
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "No permission to access this conversation",
            404: "Conversation does not exist",
        },
    ),
)
def handle_get_conversation(conversation_id: ConversationId) -> Conversation:
    return conversations.get(caller(app).user_id, conversation_id)


handler = lambda_handler(app)
