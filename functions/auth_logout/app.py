"""POST /api/auth/logout (spec 1.3): revokes the caller's session."""

from bailian_chat.api.answers import NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.auth import self_service

app = create_app()


@app.post(
    "/api/auth/logout",
    summary="1.3 User logout",
    tags=["auth"],
    responses=answers("Logout successful", {401: NOT_AUTHENTICATED}),
)
def handle_logout() -> None:
    identity = caller(app)
    self_service.logout(identity.session_id, identity.user_id, identity.client_ip)


handler = lambda_handler(app)
