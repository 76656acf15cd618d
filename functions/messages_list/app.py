"""GET /api/conversations/{conversation_id}/messages (spec 3.2): oldest first, paged."""

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import ConversationId, PageLimit, PageNumber, page_request
from bailian_chat.chat import messages
from bailian_chat.chat.responses import MessagePage

app = create_app()


@app.get(
    "/api/conversations/<conversation_id>/messages",
    summary="3.2 Get message history",
    tags=["messages"],
    responses=answers(
        "Retrieval successful",
        {
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "No permission to access messages in this conversation",
            404: "Conversation does not exist",
        },
    ),
)
def handle_message_history(
    conversation_id: ConversationId, page: PageNumber = 1, limit: PageLimit = 20
) -> MessagePage:
    return messages.history(caller(app).user_id, conversation_id, page_request(page, limit))


handler = lambda_handler(app)
