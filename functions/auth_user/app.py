"""GET /api/auth/user (spec 1.5)."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.auth import service

app = create_app()


@app.get("/api/auth/user")
def handle_current_user():
    return ok("Retrieval successful", service.current_user(caller(app).user_id))


handler = lambda_handler(app)
