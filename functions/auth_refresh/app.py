"""POST /api/auth/refresh (spec 1.4): rotates the refresh token (the response adds the new one)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from bailian_chat.api.app import create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.auth import token_responses
from bailian_chat.auth.models import RefreshRequest

app = create_app()


@app.post("/api/auth/refresh")
def handle_refresh(request: Annotated[RefreshRequest, Body()]):
    return ok("Token refresh successful", token_responses.refresh_response(request))


handler = lambda_handler(app)
