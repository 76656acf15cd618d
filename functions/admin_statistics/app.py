"""GET /api/admin/statistics (issue 13 §2): 5.2's shape for the whole deployment, with the number
of accounts, the active users and the top users; admins signed in with an access token only."""

from bailian_chat.api.app import create_app, lambda_handler, require_admin
from bailian_chat.api.envelope import ok
from bailian_chat.api.params import DateFilter, ModelFilter
from bailian_chat.usage import deployment_statistics

app = create_app()


@app.get("/api/admin/statistics")
def handle_admin_statistics(
    start_date: DateFilter = None, end_date: DateFilter = None, model_name: ModelFilter = None
):
    require_admin(app)
    return ok(
        "Retrieval successful", deployment_statistics.admin_statistics(start_date, end_date, model_name)
    )


handler = lambda_handler(app)
