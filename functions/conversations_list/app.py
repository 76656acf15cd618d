"""GET /api/conversations (spec 2.2): newest-updated first, paged, optional model filter."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import ModelFilter, PageLimit, PageNumber, page_request
from bailian_chat.chat import conversations

app = create_app()


@app.get("/api/conversations")
def handle_list_conversations(page: PageNumber = 1, limit: PageLimit = 10, model_name: ModelFilter = None):
    data = conversations.list_page(caller(app).user_id, page_request(page, limit), model_name)
    return ok("Retrieval successful", data)


handler = lambda_handler(app)
