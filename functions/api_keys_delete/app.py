"""DELETE /api/keys/{key_id}: revokes one of the caller's API keys; the next request with it is 401."""

from bailian_chat.api.answers import BAD_REQUEST, KEY_ONLY_BY_TOKEN, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import ApiKeyId
from bailian_chat.auth import api_keys

app = create_app()


@app.delete(
    "/api/keys/<key_id>",
    summary="Revoke an API key (the next request with it is 401)",
    tags=["keys"],
    responses=answers(
        "Deletion successful",
        {
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: KEY_ONLY_BY_TOKEN,
            404: "API key does not exist (or is not yours)",
        },
    ),
)
def handle_revoke_api_key(key_id: ApiKeyId) -> None:
    api_keys.revoke(caller(app).user_id, key_id)


handler = lambda_handler(app)
