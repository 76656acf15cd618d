"""POST /api/keys: a personal API key for scripts and SDKs; its secret is shown this once."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.auth import api_keys
from bailian_chat.auth.api_key_models import CreateApiKeyRequest

app = create_app()


@app.post("/api/keys")
def handle_create_api_key(request: Annotated[CreateApiKeyRequest, Body()]):
    return ok("Creation successful", api_keys.create(caller(app).user_id, request))


handler = lambda_handler(app)
