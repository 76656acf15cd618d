"""PUT /api/auth/user: the caller's nickname, avatar_url and phone; answers 1.5's shape."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.auth import self_service
from bailian_chat.auth.account_models import ProfileUpdate

app = create_app()


@app.put("/api/auth/user")
def handle_update_profile(request: Annotated[ProfileUpdate, Body()]):
    return ok("Update successful", self_service.update_profile(caller(app).user_id, request.changes()))


handler = lambda_handler(app)
