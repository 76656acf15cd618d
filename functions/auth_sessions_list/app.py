"""GET /api/auth/sessions: the caller's live sessions, newest first."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.auth import self_service

app = create_app()


@app.get("/api/auth/sessions")
def handle_list_sessions():
    identity = caller(app)
    return ok("Retrieval successful", self_service.list_sessions(identity.user_id, identity.session_id))


handler = lambda_handler(app)
