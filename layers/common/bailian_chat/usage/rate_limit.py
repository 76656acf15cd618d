"""Per-user limit on model calls (the proxy and conversation replies together)."""

import time

from bailian_chat.config import get_settings
from bailian_chat.errors import RateLimited
from bailian_chat.store import rate_limits

WINDOW_SECONDS = 60


def take_model_call(user_id: int) -> None:
    """Counts a model call against the caller's per-minute limit; RateLimited when it is used up."""
    now = time.time()
    window_start = int(now // WINDOW_SECONDS * WINDOW_SECONDS)
    if not rate_limits.take(user_id, window_start, WINDOW_SECONDS, get_settings().rate_limit_per_minute):
        retry_after = max(1, int(window_start + WINDOW_SECONDS - now + 0.999))
        raise RateLimited("Request rate limit exceeded", retry_after=retry_after)
