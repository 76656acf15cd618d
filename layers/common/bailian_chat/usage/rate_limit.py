"""Per-user limit on model calls (the proxy and conversation replies together), and the same
count kept per API key with the key's own limit."""

import time

from bailian_chat.config import get_settings
from bailian_chat.errors import RateLimited
from bailian_chat.store import keys, rate_limits

WINDOW_SECONDS = 60


def take_model_call(user_id: int) -> None:
    """Counts a model call against the caller's per-minute limit; RateLimited when it is used up."""
    _take(user_id, get_settings().rate_limit_per_minute, "Request rate limit exceeded")


def take_key_model_call(key_id: int, limit: int) -> None:
    """Counts a model call against an API key's own per-minute limit (its own windows)."""
    message = f"API key rate limit exceeded ({limit} requests per minute)"
    _take(keys.api_key_rate_subject(key_id), limit, message)


def _take(subject: int | str, limit: int, message: str) -> None:
    """`subject`: a user id, or an API key's rate subject (the windows are `RATE#<subject>`)."""
    now = time.time()
    window_start = int(now // WINDOW_SECONDS * WINDOW_SECONDS)
    if not rate_limits.take(subject, window_start, WINDOW_SECONDS, limit):
        retry_after = max(1, int(window_start + WINDOW_SECONDS - now + 0.999))
        raise RateLimited(message, retry_after=retry_after)
