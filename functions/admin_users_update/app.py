"""PUT /api/admin/users/{user_id}: status, role and spend-limit ceilings."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from bailian_chat.api.app import create_app, lambda_handler, require_admin
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import UserId
from bailian_chat.auth import admin_users
from bailian_chat.auth.account_models import AdminUserUpdate

app = create_app()


@app.put("/api/admin/users/<user_id>")
def handle_update_user(user_id: UserId, request: Annotated[AdminUserUpdate, Body()]):
    admin = require_admin(app)
    return ok("Update successful", admin_users.update_user(admin.user_id, user_id, request.changes()))


handler = lambda_handler(app)
