"""Message content parts (text, image_url, video_url) as the spec and DashScope define them.
Shared by conversations' messages and the model proxy."""

import json
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from bailian_chat.request_models import StrictBody, documented
from bailian_chat.response_models import ResponseModel
from bailian_chat.text_rules import message_text, single_line_text

MAX_TEXT_CHARS = 32_000
MAX_URL_CHARS = 2048
MAX_PARTS = 20
# A history page (up to 100 messages) must fit Lambda's 6,291,556-byte response payload, where our
# UTF-8 JSON body is itself a JSON string (so \" and \\ take 4 bytes, \n 3, a 4-byte emoji 4):
# 100 x (60,000 + at most 400 bytes of message fields) + the envelope and headers stay ~220 KB
# under it. (tests/unit/test_page_size.py builds that worst page.) It also fits one DynamoDB item.
MAX_CONTENT_BYTES = 60_000


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


def page_bytes(parts: list[dict]) -> int:
    """The bytes these content parts take in a history page as Lambda returns it: our JSON body
    (UTF-8, no \\uXXXX escapes) inside the runtime's JSON response (escapes doubled)."""
    body_json = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
    return len(json.dumps(body_json, ensure_ascii=False).encode()) - 2  # without its own quotes


def _fits_a_page(parts: list) -> list:
    if page_bytes([part.model_dump() for part in parts]) > MAX_CONTENT_BYTES:
        raise ValueError(
            f"is too large: at most {MAX_CONTENT_BYTES} bytes of content in one message, as JSON"
            " (a 4-byte emoji counts 4, a quote or backslash 4, a newline 3)"
        )
    return parts


def clip_text(text: str) -> str:
    """The longest start of text that is a valid message's text part (for model replies, which
    no request validated): within MAX_TEXT_CHARS and MAX_CONTENT_BYTES."""
    text = text[:MAX_TEXT_CHARS]
    low, high = 0, len(text)
    while low < high:  # the longest prefix within the byte budget (page_bytes grows with length)
        middle = (low + high + 1) // 2
        if page_bytes([{"type": "text", "text": text[:middle]}]) <= MAX_CONTENT_BYTES:
            low = middle
        else:
            high = middle - 1
    return text[:low]


ContentPart = Annotated[TextPart | ImageUrlPart | VideoUrlPart, Field(discriminator="type")]
Content = Annotated[
    list[ContentPart], Field(min_length=1, max_length=MAX_PARTS), AfterValidator(_fits_a_page)
]


def content_type_of(parts: list) -> str:
    """The spec's `content_type`: "text" when every part is text, otherwise "multimodal"."""
    return "text" if all(part.type == "text" for part in parts) else "multimodal"


def dump_parts(parts: list) -> list[dict]:
    return [part.model_dump() for part in parts]


# The parts as the API answers them (stored messages, model replies): the same keys, nothing to
# validate again.
class Url(ResponseModel):
    url: str


class TextContent(ResponseModel):
    type: Literal["text"]
    text: str


class ImageUrlContent(ResponseModel):
    type: Literal["image_url"]
    image_url: Url


class VideoUrlContent(ResponseModel):
    type: Literal["video_url"]
    video_url: Url


ContentItem = Annotated[TextContent | ImageUrlContent | VideoUrlContent, Field(discriminator="type")]
