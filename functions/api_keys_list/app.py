"""GET /api/keys: the caller's API keys, paged (never their secrets)."""

from bailian_chat.api.answers import BAD_REQUEST, KEY_ONLY_BY_TOKEN, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import PageLimit, PageNumber, page_request
from bailian_chat.auth import api_keys
from bailian_chat.auth.responses import ApiKeyPage

app = create_app()


@app.get(
    "/api/keys",
    summary="List your API keys (never their secrets)",
    tags=["keys"],
    responses=answers(
        "Retrieval successful", {400: BAD_REQUEST, 401: NOT_AUTHENTICATED, 403: KEY_ONLY_BY_TOKEN}
    ),
)
def handle_list_api_keys(page: PageNumber = 1, limit: PageLimit = 10) -> ApiKeyPage:
    return api_keys.list_page(caller(app).user_id, page_request(page, limit))


handler = lambda_handler(app)
