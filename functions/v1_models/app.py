"""GET /v1/models and GET /v1/models/{model}: the deployment's configured models in OpenAI's
list/model shapes, with what each accepts as extra fields; errors in OpenAI's shape."""

from typing import Annotated

from bailian_chat.api.app import create_app, lambda_handler
from bailian_chat.api.openai_errors import register_openai_error_handlers
from bailian_chat.api.params import Path
from bailian_chat.chat import openai_models

app = create_app(enveloped=False)  # OpenAI's own shapes
register_openai_error_handlers(app)


@app.get("/v1/models", tags=["OpenAI-compatible"], summary="List the configured models")
def list_models():
    return openai_models.model_list()


@app.get("/v1/models/<model>", tags=["OpenAI-compatible"], summary="One configured model")
def get_model(model: Annotated[str, Path(min_length=1, max_length=128, description="Model name")]):
    return openai_models.configured_model(model)


handler = lambda_handler(app)
