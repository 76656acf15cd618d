"""GET /api/admin/users/{user_id}: the user, role, last login and this month's usage."""

from bailian_chat.api.answers import ADMIN_ONLY, BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import create_app, lambda_handler, require_admin
from bailian_chat.api.params import UserId
from bailian_chat.auth import admin_users
from bailian_chat.auth.responses import AdminUserDetail

app = create_app()


@app.get(
    "/api/admin/users/<user_id>",
    summary="A user and their usage this month (admin)",
    tags=["admin"],
    responses=answers(
        "Retrieval successful",
        {400: BAD_REQUEST, 401: NOT_AUTHENTICATED, 403: ADMIN_ONLY, 404: "User does not exist"},
    ),
)
def handle_get_user(user_id: UserId) -> AdminUserDetail:
    require_admin(app)
    return admin_users.user_detail(user_id)


handler = lambda_handler(app)
