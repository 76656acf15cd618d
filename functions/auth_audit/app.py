"""GET /api/auth/audit (issue 13 §4): the caller's security events, newest first, paged."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import PageLimit, PageNumber, page_request
from bailian_chat.auth import audit

app = create_app()


@app.get("/api/auth/audit")
def handle_own_audit(page: PageNumber = 1, limit: PageLimit = 10):
    return ok("Retrieval successful", audit.page(caller(app).user_id, page_request(page, limit)))


handler = lambda_handler(app)
