"""PUT /api/auth/password: a new password; ends every other session, fresh tokens for this one."""

from typing import Annotated

from bailian_chat.api.answers import NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import Body
from bailian_chat.auth import token_responses
from bailian_chat.auth.account_models import PasswordChange
from bailian_chat.auth.responses import FreshTokens

app = create_app()


@app.put(
    "/api/auth/password",
    summary="Change the password (ends every other session)",
    tags=["account"],
    responses=answers(
        "Password changed",
        {
            400: "Request parameter error (current_password: is incorrect)",
            401: NOT_AUTHENTICATED,
            409: "The password was changed by another request meanwhile",
            429: "Too many failed password attempts (the login throttle), Retry-After",
        },
    ),
)
def handle_change_password(request: Annotated[PasswordChange, Body()]) -> FreshTokens:
    identity = caller(app)
    return token_responses.password_change_response(
        identity.user_id, identity.session_id, identity.client_ip, request
    )


handler = lambda_handler(app)
