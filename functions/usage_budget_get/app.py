"""GET /api/usage/budget: the caller's spend limits, and what they spent and hold reserved today
and this month."""

from bailian_chat.api.answers import KEY_ONLY_BY_TOKEN, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.usage import spend_limits
from bailian_chat.usage.responses import Budget

app = create_app()


@app.get(
    "/api/usage/budget",
    summary="Your spend limits, and what you spent and hold reserved today and this month",
    tags=["usage"],
    responses=answers("Retrieval successful", {401: NOT_AUTHENTICATED, 403: KEY_ONLY_BY_TOKEN}),
)
def handle_get_budget() -> Budget:
    identity = caller(app)
    return spend_limits.budget(identity.user_id, identity.spend_limits)


handler = lambda_handler(app)
