"""GET /api/admin/users/{user_id}: the user, role, last login and this month's usage."""

from bailian_chat.api.app import create_app, lambda_handler, require_admin
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import UserId
from bailian_chat.auth import admin_users

app = create_app()


@app.get("/api/admin/users/<user_id>")
def handle_get_user(user_id: UserId):
    require_admin(app)
    return ok("Retrieval successful", admin_users.user_detail(user_id))


handler = lambda_handler(app)
