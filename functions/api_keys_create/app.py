"""POST /api/keys: a personal API key for scripts and SDKs; its secret is shown this once."""

from typing import Annotated

from bailian_chat.api.answers import BAD_REQUEST, KEY_ONLY_BY_TOKEN, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import Body
from bailian_chat.auth import api_keys
from bailian_chat.auth.api_key_models import CreateApiKeyRequest
from bailian_chat.auth.responses import CreatedApiKey

app = create_app()


@app.post(
    "/api/keys",
    summary="Create a personal API key (its secret is shown once)",
    tags=["keys"],
    responses=answers(
        "Creation successful", {400: BAD_REQUEST, 401: NOT_AUTHENTICATED, 403: KEY_ONLY_BY_TOKEN}
    ),
)
def handle_create_api_key(request: Annotated[CreateApiKeyRequest, Body()]) -> CreatedApiKey:
    return api_keys.create(caller(app).user_id, request)


handler = lambda_handler(app)
