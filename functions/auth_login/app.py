"""POST /api/auth/login (spec 1.2)."""

from typing import Annotated

from bailian_chat.api.answers import BAD_REQUEST, answers
from bailian_chat.api.app import client_ip, create_app, lambda_handler, user_agent
from bailian_chat.api.params import Body
from bailian_chat.auth import token_responses
from bailian_chat.auth.models import LoginRequest
from bailian_chat.auth.responses import LoginData

app = create_app()


@app.post(
    "/api/auth/login",
    summary="1.2 User login",
    tags=["auth"],
    responses=answers(
        "Login successful",
        {
            400: BAD_REQUEST,
            401: "Username or password incorrect",
            403: "User account has been disabled",
            429: "Too many failed login attempts for this account from this client (Retry-After), "
            "or API Gateway throttling",
        },
    ),
)
def handle_login(request: Annotated[LoginRequest, Body()]) -> LoginData:
    return token_responses.login_response(request, client_ip(app), user_agent(app))


handler = lambda_handler(app)
