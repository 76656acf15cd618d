"""GET /api/conversations (spec 2.2): newest-updated first, paged, optional model filter."""

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import ModelFilter, PageLimit, PageNumber, page_request
from bailian_chat.chat import conversations
from bailian_chat.chat.responses import ConversationPage

app = create_app()


@app.get(
    "/api/conversations",
    summary="2.2 Get conversation list",
    tags=["conversations"],
    responses=answers("Retrieval successful", {400: BAD_REQUEST, 401: NOT_AUTHENTICATED}),
)
def handle_list_conversations(
    page: PageNumber = 1, limit: PageLimit = 10, model_name: ModelFilter = None
) -> ConversationPage:
    return conversations.list_page(caller(app).user_id, page_request(page, limit), model_name)


handler = lambda_handler(app)
