"""PUT /api/auth/password: a new password; ends every other session, fresh tokens for this one."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.auth import token_responses
from bailian_chat.auth.account_models import PasswordChange

app = create_app()


@app.put("/api/auth/password")
def handle_change_password(request: Annotated[PasswordChange, Body()]):
    identity = caller(app)
    data = token_responses.password_change_response(
        identity.user_id, identity.session_id, identity.client_ip, request
    )
    return ok("Password changed", data)


handler = lambda_handler(app)
