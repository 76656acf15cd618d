"""Message content parts (text, image_url, video_url) as the spec and DashScope define them.
Shared by conversations' messages and the model proxy."""

import json
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from bailian_chat.request_models import StrictBody, documented
from bailian_chat.text_rules import message_text, single_line_text

MAX_TEXT_CHARS = 32_000
MAX_URL_CHARS = 2048
MAX_PARTS = 20
# A message is one DynamoDB item (400 KB at most): 20 parts of 32,000 characters would not fit.
MAX_CONTENT_BYTES = 300_000


def _http_url(value: str) -> str:
    if (
        not value.lower().startswith(("http://", "https://"))
        or len(value) < 9
        or any(c.isspace() for c in value)
    ):
        raise ValueError("must be an http or https URL")
    return single_line_text(value)


HttpUrlText = Annotated[
    str,
    Field(max_length=MAX_URL_CHARS),
    documented(pattern="^https?://"),
    AfterValidator(_http_url),
]


class MediaUrl(StrictBody):
    url: HttpUrlText


MessageText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(message_text)]


class TextPart(StrictBody):
    type: Literal["text"]
    text: MessageText


class ImageUrlPart(StrictBody):
    type: Literal["image_url"]
    image_url: MediaUrl


class VideoUrlPart(StrictBody):
    type: Literal["video_url"]
    video_url: MediaUrl


def _fits_one_item(parts: list) -> list:
    size = sum(len(json.dumps(part.model_dump(), ensure_ascii=False).encode()) for part in parts)
    if size > MAX_CONTENT_BYTES:
        raise ValueError(f"is too large: at most {MAX_CONTENT_BYTES} bytes of content in one message")
    return parts


ContentPart = Annotated[TextPart | ImageUrlPart | VideoUrlPart, Field(discriminator="type")]
Content = Annotated[
    list[ContentPart], Field(min_length=1, max_length=MAX_PARTS), AfterValidator(_fits_one_item)
]


def content_type_of(parts: list) -> str:
    """The spec's `content_type`: "text" when every part is text, otherwise "multimodal"."""
    return "text" if all(part.type == "text" for part in parts) else "multimodal"


def dump_parts(parts: list) -> list[dict]:
    return [part.model_dump() for part in parts]
