"""DELETE /api/conversations/{conversation_id} (spec 2.5): the conversation and all its messages."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import ConversationId
from bailian_chat.chat import conversations

app = create_app()


@app.delete("/api/conversations/<conversation_id>")
def handle_delete_conversation(conversation_id: ConversationId):
    conversations.delete(caller(app).user_id, conversation_id)
    return ok("Deletion successful")


handler = lambda_handler(app)
