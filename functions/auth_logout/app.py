"""POST /api/auth/logout (spec 1.3): revokes the caller's session."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.auth import service

app = create_app()


@app.post("/api/auth/logout")
def handle_logout():
    identity = caller(app)
    service.logout(identity.session_id, identity.user_id, identity.client_ip)
    return ok("Logout successful")


handler = lambda_handler(app)
