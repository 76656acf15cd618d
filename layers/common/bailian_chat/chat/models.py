"""Request bodies of the conversation and message endpoints."""

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from bailian_chat.config import get_settings
from bailian_chat.content import Content

MAX_TITLE_CHARS = 200


def _title(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_TITLE_CHARS:
        raise ValueError(f"must be at most {MAX_TITLE_CHARS} characters")
    return value


def _configured_model(value: str) -> str:
    models = get_settings().allowed_models
    if value not in models:
        raise ValueError(f"must be one of: {', '.join(models)}")
    return value


Title = Annotated[str | None, AfterValidator(_title)]
ModelName = Annotated[str, Field(max_length=64), AfterValidator(_configured_model)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class CreateConversationRequest(_Strict):
    model_name: ModelName
    title: Title = None


class UpdateConversationRequest(_Strict):
    title: Title = None


class SendMessageRequest(_Strict):
    content: Content
