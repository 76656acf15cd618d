"""GET /api/models: every configured model, what it accepts and its price. Public (no token):
list prices and capabilities are the same for everyone and hold nothing of any user's, and a
client may show them before sign-up."""

from bailian_chat.api.answers import answers
from bailian_chat.api.app import create_app, lambda_handler
from bailian_chat.usage import model_prices
from bailian_chat.usage.responses import ModelList

app = create_app()


@app.get(
    "/api/models",
    summary="The configured models, their capabilities and prices (public)",
    tags=["usage"],
    responses=answers("Retrieval successful"),
)
def handle_list_models() -> ModelList:
    return model_prices.models_with_prices()


handler = lambda_handler(app)
