"""DELETE /api/messages/{message_id} (spec 3.3)."""

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import MessageId
from bailian_chat.chat import messages

app = create_app()


@app.delete(
    "/api/messages/<message_id>",
    summary="3.3 Delete message",
    tags=["messages"],
    responses=answers(
        "Deletion successful",
        {
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: "No permission to delete this message",
            404: "Message does not exist",
        },
    ),
)
def handle_delete_message(message_id: MessageId) -> None:
    messages.delete(caller(app).user_id, message_id)


handler = lambda_handler(app)
