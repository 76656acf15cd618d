"""GET /api/models: the configured models with their capabilities (the model catalog) and their
`pricing` (the price table; null for a model the table does not price: its calls cost 0)."""

from bailian_chat.chat.model_catalog import configured_models
from bailian_chat.usage import pricing


def models_with_prices() -> dict:
    table = pricing.table_source()
    return {
        "currency": pricing.currency(),
        "price_source": table["source"],
        "prices_as_of": table["as_of"],
        "models": [
            {
                "model_name": spec.name,
                "capabilities": {**spec.capabilities(), "max_output_tokens": spec.max_output_tokens},
                "pricing": pricing.public_pricing(spec.name),
            }
            for spec in configured_models()
        ],
    }
