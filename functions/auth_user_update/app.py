"""PUT /api/auth/user: the caller's nickname, avatar_url and phone; answers 1.5's shape."""

from typing import Annotated

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import Body
from bailian_chat.auth import self_service
from bailian_chat.auth.account_models import ProfileUpdate
from bailian_chat.auth.responses import CurrentUser

app = create_app()


@app.put(
    "/api/auth/user",
    summary="Update the current user's profile",
    tags=["account"],
    responses=answers("Update successful", {400: BAD_REQUEST, 401: NOT_AUTHENTICATED}),
)
def handle_update_profile(request: Annotated[ProfileUpdate, Body()]) -> CurrentUser:
    return self_service.update_profile(caller(app).user_id, request.changes())


handler = lambda_handler(app)
