"""POST /api/auth/register (spec 1.1)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from bailian_chat.api.app import create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.auth import service
from bailian_chat.auth.models import RegisterRequest

app = create_app()


@app.post("/api/auth/register")
def handle_register(request: Annotated[RegisterRequest, Body()]):
    return ok("Registration successful", service.register(request))


handler = lambda_handler(app)
