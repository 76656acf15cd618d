"""GET /api/admin/statistics (issue 13 §2): 5.2's shape for the whole deployment, with the number
of accounts, the active users and the top users; admins signed in with an access token only."""

from bailian_chat.api.answers import ADMIN_ONLY, BAD_REQUEST, NOT_AUTHENTICATED, answers
from bailian_chat.api.app import create_app, lambda_handler, require_admin
from bailian_chat.api.params import DateFilter, ModelFilter
from bailian_chat.usage import deployment_statistics
from bailian_chat.usage.responses import DeploymentStatistics

app = create_app()


@app.get(
    "/api/admin/statistics",
    summary="Deployment-wide statistics (admin): 5.2's shape plus accounts and top users",
    tags=["admin"],
    responses=answers("Retrieval successful", {400: BAD_REQUEST, 401: NOT_AUTHENTICATED, 403: ADMIN_ONLY}),
)
def handle_admin_statistics(
    start_date: DateFilter = None, end_date: DateFilter = None, model_name: ModelFilter = None
) -> DeploymentStatistics:
    require_admin(app)
    return deployment_statistics.admin_statistics(start_date, end_date, model_name)


handler = lambda_handler(app)
