"""Per-user limit on model calls (the proxy and conversation replies together).

A sliding window: in any 60-second span a user gets at most the limit. Calls are counted in
2-second buckets and a call is admitted when, counting it, no window of 31 consecutive buckets
(60-62 s) holds more than the limit (`store.rate_limits`: one conditional write per call). The
tolerance is on the safe side only: a used slot is given back 60 to 62 s after its call, never
sooner, and Retry-After is the time until the next one is given back.
"""

import math

from bailian_chat import clock
from bailian_chat.config import get_settings
from bailian_chat.errors import RateLimited
from bailian_chat.store import rate_limits

WINDOW_SECONDS = 60
BUCKET_SECONDS = 2
WINDOW_BUCKETS = WINDOW_SECONDS // BUCKET_SECONDS + 1  # any 60-s span lies within this many buckets


def take_model_call(user_id: int) -> None:
    """Counts a model call against the caller's per-minute limit; RateLimited when it is used up."""
    now = clock.now_seconds()
    bucket = int(now // BUCKET_SECONDS)
    limit = get_settings().rate_limit_per_minute
    # The windows this call falls in end with its bucket and the WINDOW_BUCKETS - 1 after it.
    refusing = rate_limits.take(user_id, range(bucket, bucket + WINDOW_BUCKETS), BUCKET_SECONDS, limit)
    if refusing is not None:
        raise RateLimited(
            "Request rate limit exceeded", retry_after=_retry_after(refusing, bucket, limit, now)
        )


def _retry_after(sums: dict[int, int], bucket: int, limit: int, now: float) -> int:
    """Seconds until every window holding the current bucket is below the limit again: the sums
    only fall with later buckets, so that is the end of the last full one's bucket."""
    last_full = max((j for j, total in sums.items() if total >= limit), default=bucket)
    return max(1, math.ceil((last_full + 1) * BUCKET_SECONDS - now))
