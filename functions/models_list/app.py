"""GET /api/models: every configured model, what it accepts and its price. Public (no token):
list prices and capabilities are the same for everyone and hold nothing of any user's, and a
client may show them before sign-up."""

from bailian_chat.api.app import create_app, lambda_handler
from bailian_chat.api.envelope import ok
from bailian_chat.usage import model_prices

app = create_app()


@app.get("/api/models")
def handle_list_models():
    return ok("Retrieval successful", model_prices.models_with_prices())


handler = lambda_handler(app)
