"""GET /api/auth/sessions: the caller's live sessions, newest first."""

from bailian_chat.api.answers import NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.auth import self_service
from bailian_chat.auth.responses import SessionList

app = create_app()


@app.get(
    "/api/auth/sessions",
    summary="List the current user's live sessions",
    tags=["account"],
    responses=answers("Retrieval successful", {401: NOT_AUTHENTICATED}),
)
def handle_list_sessions() -> SessionList:
    identity = caller(app)
    return self_service.list_sessions(identity.user_id, identity.session_id)


handler = lambda_handler(app)
