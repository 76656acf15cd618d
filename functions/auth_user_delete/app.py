"""DELETE /api/auth/user (issue 13 §3): deletes the caller's account and everything of it."""

from typing import Annotated

from bailian_chat.api.answers import NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import Body
from bailian_chat.auth import account_deletion
from bailian_chat.auth.account_models import AccountDeletion

app = create_app()


@app.delete(
    "/api/auth/user",
    summary="Delete the current user's account and everything of it (body: password)",
    tags=["account"],
    responses=answers(
        "Deletion successful",
        {
            400: "Request parameter error (password: is incorrect)",
            401: NOT_AUTHENTICATED,
            409: "The last active admin cannot delete their account",
            429: "Too many failed password attempts (the login throttle), Retry-After",
        },
    ),
)
def handle_delete_account(request: Annotated[AccountDeletion, Body()]) -> None:
    identity = caller(app)
    account_deletion.delete_account(
        identity.user_id,
        identity.client_ip,
        request.password,
        app.lambda_context.get_remaining_time_in_millis,
    )


handler = lambda_handler(app)
