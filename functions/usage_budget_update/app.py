"""PUT /api/usage/budget: the caller's own daily and monthly spend limits (null: none of their own)."""

from typing import Annotated

from bailian_chat.api.answers import BAD_REQUEST, KEY_ONLY_BY_TOKEN, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import Body
from bailian_chat.usage import spend_limits
from bailian_chat.usage.responses import Budget
from bailian_chat.usage.spend_limits import BudgetUpdate

app = create_app()


@app.put(
    "/api/usage/budget",
    summary="Set your own daily and monthly spend limits (null: none of your own)",
    tags=["usage"],
    responses=answers(
        "Update successful",
        {
            400: BAD_REQUEST + " (or a limit above the deployment's)",
            401: NOT_AUTHENTICATED,
            403: KEY_ONLY_BY_TOKEN,
        },
    ),
)
def handle_update_budget(request: Annotated[BudgetUpdate, Body()]) -> Budget:
    return spend_limits.update(caller(app).user_id, request)


handler = lambda_handler(app)
