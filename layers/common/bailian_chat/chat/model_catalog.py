"""The models a deployment offers and what each accepts (images, videos, tools, thinking).

Declared once, in `model_catalog.json` beside this module (layer data); a deployment picks its
models with ALLOWED_MODELS and adds or overrides entries with MODEL_CATALOG (both read by config).
A configured model the catalog does not know is taken as text-only, with tools and no thinking.
"""

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path

from bailian_chat.config import ConfigError, get_settings
from bailian_chat.errors import BadRequest

CATALOG_FILE = Path(__file__).with_name("model_catalog.json")
THINKING_MODES = ("none", "optional", "always")
UNKNOWN_MODEL = {"image": False, "video": False, "tools": True, "thinking": "none", "max_output_tokens": 8192}
MEDIA_PARTS = {"image_url": ("image", "images"), "video_url": ("video", "videos")}


@dataclass(frozen=True)
class ModelSpec:
    name: str
    image: bool
    video: bool
    tools: bool
    thinking: str  # "none" | "optional" (enable_thinking toggles it) | "always"
    max_output_tokens: int
    owned_by: str = "alibaba-cloud"

    def capabilities(self) -> dict:
        """What the model accepts, as GET /v1/models and GET /api/models show it."""
        return {"image": self.image, "video": self.video, "tools": self.tools, "thinking": self.thinking}


@functools.cache
def _declared() -> dict[str, dict]:
    return json.loads(CATALOG_FILE.read_text(encoding="utf-8"))["models"]


def _spec(name: str, entry: dict) -> ModelSpec:
    known = {f.name for f in fields(ModelSpec)} - {"name"}
    unknown = set(entry) - known
    if unknown:
        raise ConfigError(f"MODEL_CATALOG[{name!r}] has unknown fields: {', '.join(sorted(unknown))}")
    spec = ModelSpec(name=name, **entry)
    flags_ok = all(isinstance(getattr(spec, flag), bool) for flag in ("image", "video", "tools"))
    tokens = spec.max_output_tokens
    if not flags_ok or spec.thinking not in THINKING_MODES or not isinstance(tokens, int) or tokens < 1:
        raise ConfigError(
            f"MODEL_CATALOG[{name!r}]: image/video/tools must be booleans, thinking one of "
            f"{', '.join(THINKING_MODES)}, max_output_tokens a positive integer"
        )
    return spec


@functools.cache
def _catalog(allowed: tuple[str, ...], overrides: tuple[tuple[str, tuple], ...]) -> tuple[ModelSpec, ...]:
    extra = {name: dict(entry) for name, entry in overrides}
    return tuple(
        _spec(name, {**UNKNOWN_MODEL, **_declared().get(name, {}), **extra.get(name, {})}) for name in allowed
    )


def configured_models() -> tuple[ModelSpec, ...]:
    """The deployment's allowed models, in ALLOWED_MODELS order."""
    settings = get_settings()
    overrides = tuple(
        (name, tuple(sorted(entry.items()))) for name, entry in sorted(settings.model_catalog.items())
    )
    return _catalog(settings.allowed_models, overrides)


def model_spec(name: str) -> ModelSpec | None:
    """The model's spec; None when the deployment does not offer it."""
    return next((spec for spec in configured_models() if spec.name == name), None)


def answers_only_streamed(model: str) -> bool:
    """Thinking-only models answer only as a stream (buffered routes read it whole)."""
    spec = model_spec(model)
    return spec is not None and spec.thinking == "always"


def openai_path(message: int, part: int) -> str:
    return f"messages[{message}].content[{part}]"


def spec_path(message: int, part: int) -> str:
    """The spec's field paths, as its validation messages name them."""
    return f"messages.{message}.content.{part}"


def check_content_fits(
    model: str, messages: list[dict], path: Callable[[int, int], str] = openai_path
) -> None:
    """BadRequest naming the model for an image or video part it cannot take (rather than the
    upstream's confusing answer). `messages` are upstream-style dicts; unknown models pass."""
    spec = model_spec(model)
    if spec is None:
        return
    for i, message in enumerate(messages):
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for j, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind in MEDIA_PARTS and not getattr(spec, MEDIA_PARTS[kind][0]):
                where = path(i, j)
                raise BadRequest(
                    f"{where}: model {model} does not accept {MEDIA_PARTS[kind][1]}", param=where
                )
