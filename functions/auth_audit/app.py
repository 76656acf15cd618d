"""GET /api/auth/audit (issue 13 §4): the caller's security events, newest first, paged."""

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import PageLimit, PageNumber, page_request
from bailian_chat.auth import audit
from bailian_chat.auth.responses import AuditPage

app = create_app()


@app.get(
    "/api/auth/audit",
    summary="The current user's security events (audit trail), newest first",
    tags=["account"],
    responses=answers("Retrieval successful", {400: BAD_REQUEST, 401: NOT_AUTHENTICATED}),
)
def handle_own_audit(page: PageNumber = 1, limit: PageLimit = 10) -> AuditPage:
    return audit.page(caller(app).user_id, page_request(page, limit))


handler = lambda_handler(app)
