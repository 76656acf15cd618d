"""GET /api/admin/users/{user_id}/audit (issue 13 §4): any user's security events, for admins."""

from bailian_chat.api.answers import ADMIN_ONLY, BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import create_app, lambda_handler, require_admin
from bailian_chat.api.params import PageLimit, PageNumber, UserId, page_request
from bailian_chat.auth import audit
from bailian_chat.auth.responses import AuditPage

app = create_app()


@app.get(
    "/api/admin/users/<user_id>/audit",
    summary="A user's security events (admin)",
    tags=["admin"],
    responses=answers(
        "Retrieval successful",
        {400: BAD_REQUEST, 401: NOT_AUTHENTICATED, 403: ADMIN_ONLY, 404: "User does not exist"},
    ),
)
def handle_user_audit(user_id: UserId, page: PageNumber = 1, limit: PageLimit = 10) -> AuditPage:
    require_admin(app)
    return audit.user_page(user_id, page_request(page, limit))


handler = lambda_handler(app)
