"""The configured models in OpenAI's `model` object shape (GET /v1/models), with what each
accepts as extra fields so a client can tell which take images, video, tools or thinking."""

from bailian_chat.chat.model_catalog import ModelSpec

# OpenAI's `created` is when the model was published; the catalog does not know it.
UNKNOWN_CREATED = 0


def model_object(spec: ModelSpec) -> dict:
    return {
        "id": spec.name,
        "object": "model",
        "created": UNKNOWN_CREATED,
        "owned_by": spec.owned_by,
        "capabilities": {
            "image": spec.image,
            "video": spec.video,
            "tools": spec.tools,
            "thinking": spec.thinking,
        },
        "max_output_tokens": spec.max_output_tokens,
    }
