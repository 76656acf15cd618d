"""GET /api/keys: the caller's API keys, paged (never their secrets)."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import PageLimit, PageNumber, page_request
from bailian_chat.auth import api_keys

app = create_app()


@app.get("/api/keys")
def handle_list_api_keys(page: PageNumber = 1, limit: PageLimit = 10):
    return ok("Retrieval successful", api_keys.list_page(caller(app).user_id, page_request(page, limit)))


handler = lambda_handler(app)
