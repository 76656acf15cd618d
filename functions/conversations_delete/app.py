"""DELETE /api/conversations/{conversation_id} (spec 2.5): the conversation and all its messages."""

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import ConversationId
from bailian_chat.chat import conversations

app = create_app()


@app.delete(
    "/api/conversations/<conversation_id>",
    summary="2.5 Delete conversation",
    tags=["conversations"],
    responses=answers(
        "Deletion successful",
        {
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "No permission to delete this conversation",
            404: "Conversation does not exist",
        },
    ),
)
def handle_delete_conversation(conversation_id: ConversationId) -> None:
    conversations.delete(caller(app).user_id, conversation_id)


handler = lambda_handler(app)
