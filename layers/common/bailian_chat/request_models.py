"""What every request body model shares: strict types (a number is not a string) and extra fields
ignored, and a way to state a validator's rule in the OpenAPI document."""

from pydantic import BaseModel, ConfigDict, Field


class StrictBody(BaseModel):
    # defer_build: built on first use (at init, the models of the function's routes:
    # warm_start.build_models), as ResponseModel.
    model_config = ConfigDict(strict=True, extra="ignore", defer_build=True)


def documented(**schema):
    """Constraints shown in the OpenAPI document (for clients and the fuzzer) while an
    AfterValidator enforces them with a message that names the rule."""
    return Field(json_schema_extra=schema)
