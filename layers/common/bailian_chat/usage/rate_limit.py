"""Per-user limit on model calls (the proxy and conversation replies together), and the same
count kept per API key with the key's own limit."""

import time
from collections.abc import Callable

from bailian_chat.config import get_settings
from bailian_chat.errors import RateLimited
from bailian_chat.store import rate_limits

WINDOW_SECONDS = 60


def take_model_call(user_id: int) -> None:
    """Counts a model call against the caller's per-minute limit; RateLimited when it is used up."""
    limit = get_settings().rate_limit_per_minute
    _take(
        lambda start: rate_limits.take(user_id, start, WINDOW_SECONDS, limit), "Request rate limit exceeded"
    )


def take_key_model_call(key_id: int, limit: int) -> None:
    """Counts a model call against an API key's own per-minute limit."""
    _take(
        lambda start: rate_limits.take_for_key(key_id, start, WINDOW_SECONDS, limit),
        f"API key rate limit exceeded ({limit} requests per minute)",
    )


def _take(take_in_window: Callable[[int], bool], message: str) -> None:
    now = time.time()
    window_start = int(now // WINDOW_SECONDS * WINDOW_SECONDS)
    if not take_in_window(window_start):
        retry_after = max(1, int(window_start + WINDOW_SECONDS - now + 0.999))
        raise RateLimited(message, retry_after=retry_after)
