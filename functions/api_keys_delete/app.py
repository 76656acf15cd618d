"""DELETE /api/keys/{key_id}: revokes one of the caller's API keys; the next request with it is 401."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import ApiKeyId
from bailian_chat.auth import api_keys

app = create_app()


@app.delete("/api/keys/<key_id>")
def handle_revoke_api_key(key_id: ApiKeyId):
    api_keys.revoke(caller(app).user_id, key_id)
    return ok("Deletion successful")


handler = lambda_handler(app)
