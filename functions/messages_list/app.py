"""GET /api/conversations/{conversation_id}/messages (spec 3.2): oldest first, paged."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import ConversationId, PageLimit, PageNumber, page_request
from bailian_chat.chat import messages

app = create_app()


@app.get("/api/conversations/<conversation_id>/messages")
def handle_message_history(conversation_id: ConversationId, page: PageNumber = 1, limit: PageLimit = 20):
    data = messages.history(caller(app).user_id, conversation_id, page_request(page, limit))
    return ok("Retrieval successful", data)


handler = lambda_handler(app)
