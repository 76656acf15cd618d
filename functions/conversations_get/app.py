"""GET /api/conversations/{conversation_id} (spec 2.3)."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import ConversationId
from bailian_chat.chat import conversations

app = create_app()


@app.get("/api/conversations/<conversation_id>")
def handle_get_conversation(conversation_id: ConversationId):
    return ok("Retrieval successful", conversations.get(caller(app).user_id, conversation_id))


handler = lambda_handler(app)
