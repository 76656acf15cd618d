"""GET /api/history/conversations/statistics (spec 5.2): totals, per model and per UTC day."""

from bailian_chat.api.answers import BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.params import DateFilter, ModelFilter
from bailian_chat.usage import statistics
from bailian_chat.usage.responses import Statistics

app = create_app()


@app.get(
    "/api/history/conversations/statistics",
    summary="5.2 Query conversation history statistics",
    tags=["history"],
    responses=answers("Retrieval successful", {400: BAD_REQUEST, 401: NOT_AUTHENTICATED}),
)
def handle_statistics(
    start_date: DateFilter = None, end_date: DateFilter = None, model_name: ModelFilter = None
) -> Statistics:
    return statistics.user_statistics(caller(app).user_id, start_date, end_date, model_name)


handler = lambda_handler(app)
