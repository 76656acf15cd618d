"""DELETE /api/auth/sessions/{session_id}: ends one of the caller's sessions at once."""

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import SessionId
from bailian_chat.auth import self_service

app = create_app()


@app.delete(
    "/api/auth/sessions/<session_id>",
    summary="End one of the current user's sessions",
    tags=["account"],
    responses=answers(
        "Deletion successful",
        {400: BAD_REQUEST, 401: NOT_AUTHENTICATED, 404: "Session does not exist (or is someone else's)"},
    ),
)
def handle_end_session(session_id: SessionId) -> None:
    self_service.end_session(caller(app).user_id, session_id)


handler = lambda_handler(app)
