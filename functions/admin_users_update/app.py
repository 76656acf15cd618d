"""PUT /api/admin/users/{user_id}: status, role and spend-limit ceilings."""

from typing import Annotated

from bailian_chat.api.answers import ADMIN_ONLY, BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import create_app, lambda_handler, require_admin
from bailian_chat.api.params import Body, UserId
from bailian_chat.auth import admin_users
from bailian_chat.auth.account_models import AdminUserUpdate
from bailian_chat.auth.responses import AdminUserDetail

app = create_app()


@app.put(
    "/api/admin/users/<user_id>",
    summary="Change a user's status, role or spend-limit ceilings (admin)",
    tags=["admin"],
    responses=answers(
        "Update successful",
        {
            400: BAD_REQUEST,
            401: NOT_AUTHENTICATED,
            403: ADMIN_ONLY,
            404: "User does not exist",
            409: "An admin cannot disable or demote themselves; the last active admin cannot be removed",
        },
    ),
)
def handle_update_user(user_id: UserId, request: Annotated[AdminUserUpdate, Body()]) -> AdminUserDetail:
    admin = require_admin(app)
    return admin_users.update_user(admin.user_id, user_id, request.changes())


handler = lambda_handler(app)
