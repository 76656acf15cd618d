"""GET /api/admin/users: every user, newest first, paged; `query` (username/email prefix), `status`."""

from bailian_chat.api.answers import ADMIN_ONLY, BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import create_app, lambda_handler, require_admin
from bailian_chat.api.params import PageLimit, PageNumber, StatusFilter, UserQuery, page_request
from bailian_chat.auth import admin_users
from bailian_chat.auth.responses import UserPage

app = create_app()


@app.get(
    "/api/admin/users",
    summary="List and search users (admin)",
    tags=["admin"],
    responses=answers("Retrieval successful", {400: BAD_REQUEST, 401: NOT_AUTHENTICATED, 403: ADMIN_ONLY}),
)
def handle_list_users(
    page: PageNumber = 1, limit: PageLimit = 10, query: UserQuery = None, status: StatusFilter = None
) -> UserPage:
    require_admin(app)
    return admin_users.list_users(query, status, page_request(page, limit))


handler = lambda_handler(app)
