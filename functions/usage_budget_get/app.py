"""GET /api/usage/budget: the caller's spend limits, and what they spent and hold reserved today
and this month."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.usage import spend_limits

app = create_app()


@app.get("/api/usage/budget")
def handle_get_budget():
    return ok("Retrieval successful", spend_limits.budget(caller(app).user_id))


handler = lambda_handler(app)
