"""What every response model shares: exactly the keys the API answers (an unknown key is refused,
so a handler cannot return a field its declared model lacks) and the value types the OpenAPI
document shows. Each domain keeps its own shapes beside it (chat/responses.py, auth/responses.py,
usage/responses.py); a handler declares its shape as its return type, Powertools validates what it
returns against it, and the document is generated from the same declaration."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

MAX_ID = 2**53 - 1  # ids stay exact in JavaScript


class ResponseModel(BaseModel):
    # defer_build: built on first use (at init, the models of the function's routes:
    # warm_start.build_models), so the dozens of models a function imports but never answers with
    # cost its cold start nothing.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    @classmethod
    def pick(cls, item: dict, **values: Any) -> dict:
        """The model's fields of a stored item, in the model's order (a missing attribute is null),
        with `values` set: what a service returns, checked against the model by the handler."""
        return {name: values[name] if name in values else item.get(name) for name in cls.model_fields}


Timestamp = Annotated[
    str, WithJsonSchema({"type": "string", "format": "date-time", "examples": ["2023-01-01T00:00:00Z"]})
]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date", "examples": ["2023-01-01"]})]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Count = Annotated[int, Field(ge=0)]
Money = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^[0-9]+\.[0-9]{9}$",
            "description": "A decimal amount in the price table's currency, exact to 1e-9",
            "examples": ["0.000123400"],
        }
    ),
]


class Pagination(ResponseModel):
    current_page: Annotated[int, Field(ge=1)]
    per_page: Annotated[int, Field(ge=1, le=100)]
    total: Count
    total_pages: Count
