"""GET /api/history/api-calls (spec 5.1): the caller's model calls, newest first."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import (
    ApiKeyFilter,
    DateFilter,
    ModelFilter,
    PageLimit,
    PageNumber,
    page_request,
)
from bailian_chat.usage import history

app = create_app()


@app.get("/api/history/api-calls")
def handle_api_call_history(
    page: PageNumber = 1,
    limit: PageLimit = 10,
    model_name: ModelFilter = None,
    start_date: DateFilter = None,
    end_date: DateFilter = None,
    api_key_id: ApiKeyFilter = None,
):
    data = history.api_call_history(
        caller(app).user_id, page_request(page, limit), model_name, start_date, end_date, api_key_id
    )
    return ok("Retrieval successful", data)


handler = lambda_handler(app)
