"""GET /api/auth/user (spec 1.5)."""

from bailian_chat.api.answers import NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.auth import user_views
from bailian_chat.auth.responses import CurrentUser

app = create_app()


@app.get(
    "/api/auth/user",
    summary="1.5 Get current user information",
    tags=["auth"],
    responses=answers("Retrieval successful", {401: NOT_AUTHENTICATED}),
)
def handle_current_user() -> CurrentUser:
    return user_views.current_user(caller(app).user_id)


handler = lambda_handler(app)
