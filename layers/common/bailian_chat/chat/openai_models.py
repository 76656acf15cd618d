"""The configured models in OpenAI's `model` object shape (GET /v1/models), with what each
accepts as extra fields so a client can tell which take images, video, tools or thinking."""

from bailian_chat.chat import model_catalog
from bailian_chat.chat.model_catalog import ModelSpec
from bailian_chat.errors import NotFound

# OpenAI's `created` is when the model was published; the catalog does not know it.
UNKNOWN_CREATED = 0


def model_object(spec: ModelSpec) -> dict:
    return {
        "id": spec.name,
        "object": "model",
        "created": UNKNOWN_CREATED,
        "owned_by": spec.owned_by,
        "capabilities": spec.capabilities(),
        "max_output_tokens": spec.max_output_tokens,
    }


def model_list() -> dict:
    """Use case of GET /v1/models: OpenAI's `list` of the configured models."""
    return {"object": "list", "data": [model_object(spec) for spec in model_catalog.configured_models()]}


def configured_model(model: str) -> dict:
    """Use case of GET /v1/models/{model}: the configured model, or NotFound (OpenAI's 404)."""
    spec = model_catalog.model_spec(model)
    if spec is None:
        raise NotFound(f"The model '{model}' does not exist")
    return model_object(spec)
