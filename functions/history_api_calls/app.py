"""GET /api/history/api-calls (spec 5.1): the caller's model calls, newest first."""

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import (
    ApiKeyFilter,
    DateFilter,
    ModelFilter,
    PageLimit,
    PageNumber,
    page_request,
)
from bailian_chat.usage import history
from bailian_chat.usage.responses import ApiCallPage

app = create_app()


@app.get(
    "/api/history/api-calls",
    summary="5.1 Query API call history",
    tags=["history"],
    responses=answers("Retrieval successful", {400: BAD_REQUEST, 401: NOT_AUTHENTICATED}),
)
def handle_api_call_history(
    page: PageNumber = 1,
    limit: PageLimit = 10,
    model_name: ModelFilter = None,
    start_date: DateFilter = None,
    end_date: DateFilter = None,
    api_key_id: ApiKeyFilter = None,
) -> ApiCallPage:
    return history.api_call_history(
        caller(app).user_id, page_request(page, limit), model_name, start_date, end_date, api_key_id
    )


handler = lambda_handler(app)
