"""DELETE /api/auth/sessions/{session_id}: ends one of the caller's sessions at once."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import SessionId
from bailian_chat.auth import self_service

app = create_app()


@app.delete("/api/auth/sessions/<session_id>")
def handle_end_session(session_id: SessionId):
    self_service.end_session(caller(app).user_id, session_id)
    return ok("Deletion successful")


handler = lambda_handler(app)
