"""GET /api/admin/users: every user, newest first, paged; `query` (username/email prefix), `status`."""

from bailian_chat.api.app import create_app, lambda_handler, require_admin
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import PageLimit, PageNumber, StatusFilter, UserQuery, page_request
from bailian_chat.auth import admin_users

app = create_app()


@app.get("/api/admin/users")
def handle_list_users(
    page: PageNumber = 1, limit: PageLimit = 10, query: UserQuery = None, status: StatusFilter = None
):
    require_admin(app)
    data = admin_users.list_users(query, status, page_request(page, limit))
    return ok("Retrieval successful", data)


handler = lambda_handler(app)
