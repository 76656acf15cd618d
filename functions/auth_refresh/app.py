"""POST /api/auth/refresh (spec 1.4): rotates the refresh token (the response adds the new one)."""

from typing import Annotated

from bailian_chat.api.answers import BAD_REQUEST, answers
from bailian_chat.api.app import create_app, lambda_handler
from bailian_chat.api.params import Body
from bailian_chat.auth import token_responses
from bailian_chat.auth.models import RefreshRequest
from bailian_chat.auth.responses import RefreshData

app = create_app()


@app.post(
    "/api/auth/refresh",
    summary="1.4 Refresh token",
    tags=["auth"],
    responses=answers(
        "Token refresh successful", {400: BAD_REQUEST, 401: "Refresh token is invalid or expired"}
    ),
)
def handle_refresh(request: Annotated[RefreshRequest, Body()]) -> RefreshData:
    return token_responses.refresh_response(request)


handler = lambda_handler(app)
