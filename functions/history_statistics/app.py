"""GET /api/history/conversations/statistics (spec 5.2): totals, per model and per UTC day."""

from bailian_chat.api.app import caller, create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import DateFilter, ModelFilter
from bailian_chat.usage import statistics

app = create_app()


@app.get("/api/history/conversations/statistics")
def handle_statistics(
    start_date: DateFilter = None, end_date: DateFilter = None, model_name: ModelFilter = None
):
    data = statistics.user_statistics(caller(app).user_id, start_date, end_date, model_name)
    return ok("Retrieval successful", data)


handler = lambda_handler(app)
