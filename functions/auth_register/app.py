"""POST /api/auth/register (spec 1.1)."""

from typing import Annotated

from bailian_chat.api.answers import BAD_REQUEST, answers
from bailian_chat.api.app import create_app, lambda_handler
from bailian_chat.api.params import Body
from bailian_chat.auth import service
from bailian_chat.auth.models import RegisterRequest
from bailian_chat.auth.responses import RegisteredUser

app = create_app()


@app.post(
    "/api/auth/register",
    summary="1.1 User registration",
    tags=["auth"],
    responses=answers("Registration successful", {400: BAD_REQUEST, 409: "Username or email already exists"}),
)
def handle_register(request: Annotated[RegisterRequest, Body()]) -> RegisteredUser:
    return service.register(request)


handler = lambda_handler(app)
