"""PUT /api/usage/budget: the caller's own daily and monthly spend limits (null: none of their own)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Body
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.usage import spend_limits
from bailian_chat.usage.spend_limits import BudgetUpdate

app = create_app()


@app.put("/api/usage/budget")
def handle_update_budget(request: Annotated[BudgetUpdate, Body()]):
    return ok("Update successful", spend_limits.update(caller(app).user_id, request))


handler = lambda_handler(app)
