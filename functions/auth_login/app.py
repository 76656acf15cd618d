"""POST /api/auth/login (spec 1.2)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from bailian_chat.api.app import client_ip, create_app, lambda_handler, user_agent
from bailian_chat.api.envelope import ok
from bailian_chat.auth import token_responses
from bailian_chat.auth.models import LoginRequest

app = create_app()


@app.post("/api/auth/login")
def handle_login(request: Annotated[LoginRequest, Body()]):
    return ok("Login successful", token_responses.login_response(request, client_ip(app), user_agent(app)))


handler = lambda_handler(app)
