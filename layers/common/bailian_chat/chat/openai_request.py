"""The OpenAI Chat Completions request body, as the official SDKs send it: known fields validated
(400 naming the field, with OpenAI's `param`), unknown top-level fields ignored so newer SDKs keep
working, DashScope's `enable_thinking` / `thinking_budget` accepted (the SDK's `extra_body`)."""

import json
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from bailian_chat.errors import BadRequest

MAX_MESSAGES = 2048
MAX_STOP_SEQUENCES = 4


class _Body(BaseModel):
    # defer_build: built at init by the function that reads them (api.asgi.create_asgi_app's
    # models), not while the module imports.
    model_config = ConfigDict(strict=True, extra="ignore", defer_build=True)


def _media_url(value: str) -> str:
    if not value.lower().startswith(("http://", "https://", "data:")) or any(c.isspace() for c in value[:16]):
        raise ValueError("must be an http(s) URL or a data: URL")
    return value


MediaUrlText = Annotated[str, Field(min_length=1), AfterValidator(_media_url)]


class TextPart(_Body):
    type: Literal["text"]
    text: str


class ImageUrl(_Body):
    url: MediaUrlText
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(_Body):
    type: Literal["image_url"]
    image_url: ImageUrl


class VideoUrl(_Body):
    url: MediaUrlText


class VideoPart(_Body):
    type: Literal["video_url"]
    video_url: VideoUrl


UserPart = Annotated[TextPart | ImagePart | VideoPart, Field(discriminator="type")]
TextParts = Annotated[list[TextPart], Field(min_length=1)]


class FunctionCall(_Body):
    name: Annotated[str, Field(min_length=1)]
    arguments: str


class ToolCall(_Body):
    id: Annotated[str, Field(min_length=1)]
    type: Literal["function"] = "function"
    function: FunctionCall


class SystemMessage(_Body):
    role: Literal["system", "developer"]
    content: str | TextParts


class UserMessage(_Body):
    role: Literal["user"]
    content: str | Annotated[list[UserPart], Field(min_length=1)]


class AssistantMessage(_Body):
    role: Literal["assistant"]
    content: str | TextParts | None = None
    tool_calls: Annotated[list[ToolCall], Field(min_length=1)] | None = None


class ToolMessage(_Body):
    role: Literal["tool"]
    content: str | TextParts
    tool_call_id: Annotated[str, Field(min_length=1)]


Message = Annotated[SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")]


class FunctionDefinition(_Body):
    name: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class Tool(_Body):
    type: Literal["function"]
    function: FunctionDefinition


class NamedFunction(_Body):
    name: Annotated[str, Field(min_length=1)]


class NamedToolChoice(_Body):
    type: Literal["function"]
    function: NamedFunction


class ResponseFormat(_Body):
    model_config = ConfigDict(strict=True, extra="allow")  # json_schema's own fields pass through
    type: Literal["text", "json_object", "json_schema"]


class StreamOptions(_Body):
    include_usage: bool | None = None


Penalty = Annotated[float, Field(ge=-2, le=2)]
TokenCount = Annotated[int, Field(ge=1)]


class OpenAIChatRequest(_Body):
    model: Annotated[str, Field(min_length=1)]
    messages: Annotated[list[Message], Field(min_length=1, max_length=MAX_MESSAGES)]
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(gt=0, le=1)] | None = None
    max_tokens: TokenCount | None = None
    max_completion_tokens: TokenCount | None = None
    stop: str | Annotated[list[str], Field(max_length=MAX_STOP_SEQUENCES)] | None = None
    seed: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    presence_penalty: Penalty | None = None
    frequency_penalty: Penalty | None = None
    response_format: ResponseFormat | None = None
    tools: Annotated[list[Tool], Field(min_length=1, max_length=128)] | None = None
    tool_choice: Literal["none", "auto", "required"] | NamedToolChoice | None = None
    parallel_tool_calls: bool | None = None
    n: Annotated[int, Field(ge=1, le=1)] | None = None
    user: str | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    enable_thinking: bool | None = None
    thinking_budget: TokenCount | None = None

    @property
    def include_usage(self) -> bool:
        return bool(self.stream_options and self.stream_options.include_usage)

    @property
    def output_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    @property
    def output_limit_field(self) -> str:
        return "max_completion_tokens" if self.max_completion_tokens else "max_tokens"


def parse_request(body: bytes | str | None) -> OpenAIChatRequest:
    """The validated request; BadRequest naming the field (message and `param`) otherwise."""
    try:
        data = json.loads(body or b"", parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("Malformed JSON in request body") from exc
    except RecursionError:
        raise BadRequest("Request body is nested too deeply") from None
    if not isinstance(data, dict):
        raise BadRequest("Request body must be a JSON object")
    try:
        return OpenAIChatRequest.model_validate(data)
    except ValidationError as exc:
        raise _bad_request(list(exc.errors())) from None


def _no_constant(name: str):
    """NaN and Infinity are not JSON: refused rather than forwarded to the upstream."""
    raise ValueError(f"{name} is not a JSON value")


ROLE_TAGS = frozenset({"system", "developer", "user", "assistant", "tool"})


def param_of(loc: tuple) -> str:
    """`messages[0].content[1].image_url.url` from pydantic's location, without the union tags
    pydantic inserts (the role, `str`, `list[...]`, a class name, a part's type)."""
    path: list[str | int] = []
    for i, part in enumerate(loc):
        previous = loc[i - 1] if i else None
        if isinstance(part, str) and ("[" in part or part in ("str", "function-after") or part[:1].isupper()):
            continue
        if isinstance(part, str) and part in ROLE_TAGS and isinstance(previous, int):
            continue
        if path and part == path[-1] and not isinstance(part, int):
            continue  # a part's type tag followed by the field of the same name
        part_tag = isinstance(previous, int) and part in ("text", "image_url", "video_url")
        if part_tag and i + 1 < len(loc) and loc[i + 1] == part:
            continue
        path.append(part)
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _bad_request(errors: list[dict]) -> BadRequest:
    """From the most specific error (the deepest location: inside a union, the branch that got
    furthest)."""
    error = max(errors, key=lambda e: (len(e.get("loc", ())), not e.get("type", "").endswith("_type")))
    loc, kind = tuple(error.get("loc", ())), error.get("type", "")
    param = param_of(loc)
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    alternatives = [e for e in errors if param_of(tuple(e.get("loc", ()))) == param]
    if kind == "union_tag_invalid":
        field = "role" if error.get("ctx", {}).get("discriminator") == "'role'" else "type"
        param = f"{param}.{field}"
        message = f"must be one of {error['ctx']['expected_tags']}"
    elif kind == "union_tag_not_found":
        field = "role" if error.get("ctx", {}).get("discriminator") == "'role'" else "type"
        param, message = f"{param}.{field}", "is required"
    elif kind == "missing":
        message = "is required"
    elif param == "n":
        message = "only 1 is supported"
    elif kind.endswith("_type") and len(alternatives) > 1:
        message = "has the wrong type (a string or a list is expected)"
    elif kind.endswith("_type"):
        message = f"has the wrong type ({message[0].lower()}{message[1:]})"
    return BadRequest(f"{param}: {message}", param=param)
