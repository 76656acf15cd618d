"""DELETE /api/messages/{message_id} (spec 3.3)."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import MessageId
from bailian_chat.chat import messages

app = create_app()


@app.delete("/api/messages/<message_id>")
def handle_delete_message(message_id: MessageId):
    messages.delete(caller(app).user_id, message_id)
    return ok("Deletion successful")


handler = lambda_handler(app)
