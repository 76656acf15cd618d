"""GET /api/admin/users/{user_id}/audit (issue 13 §4): any user's security events, for admins."""

from bailian_chat.api.app import create_app, lambda_handler, require_admin
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import PageLimit, PageNumber, UserId, page_request
from bailian_chat.auth import audit

app = create_app()


@app.get("/api/admin/users/<user_id>/audit")
def handle_user_audit(user_id: UserId, page: PageNumber = 1, limit: PageLimit = 10):
    require_admin(app)
    return ok("Retrieval successful", audit.user_page(user_id, page_request(page, limit)))


handler = lambda_handler(app)
