"""GET /v1/models and GET /v1/models/{model}: the deployment's configured models in OpenAI's
list/model shapes, with what each accepts as extra fields; errors in OpenAI's shape."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path
from bailian_chat.api.app import create_app, lambda_handler
from bailian_chat.api.openai_errors import register_openai_error_handlers
from bailian_chat.chat import model_catalog
from bailian_chat.chat.openai_models import model_object
from bailian_chat.errors import NotFound

app = create_app(enveloped=False)  # OpenAI's own shapes
register_openai_error_handlers(app)


@app.get("/v1/models", tags=["OpenAI-compatible"], summary="List the configured models")
def list_models():
    return {"object": "list", "data": [model_object(spec) for spec in model_catalog.configured_models()]}


@app.get("/v1/models/<model>", tags=["OpenAI-compatible"], summary="One configured model")
def get_model(model: Annotated[str, Path(min_length=1, max_length=128, description="Model name")]):
    spec = model_catalog.model_spec(model)
    if spec is None:
        raise NotFound(f"The model '{model}' does not exist")
    return model_object(spec)


handler = lambda_handler(app)
