"""Per-user limit on model calls (the proxy and conversation replies together), and the same
count kept per API key with the key's own limit.

A sliding window: in any 60-second span a user gets at most the limit. Calls are counted in
2-second buckets and a call is admitted when, counting it, no window of 31 consecutive buckets
(60-62 s) holds more than the limit (`store.rate_limit_items`: one conditional write per call). The
tolerance is on the safe side only: a used slot is given back 60 to 62 s after its call, never
sooner, and Retry-After is the time until the next one is given back.
"""

import math
from dataclasses import dataclass

from bailian_chat import clock
from bailian_chat.config import get_settings
from bailian_chat.errors import RateLimited
from bailian_chat.store import keys, rate_limit_items

WINDOW_SECONDS = 60
BUCKET_SECONDS = 2
WINDOW_BUCKETS = WINDOW_SECONDS // BUCKET_SECONDS + 1  # any 60-s span lies within this many buckets
USER_LIMIT_MESSAGE = "Request rate limit exceeded"


def take_model_call(user_id: int) -> None:
    """Counts a model call against the caller's per-minute limit; RateLimited when it is used up."""
    _take(user_id, get_settings().rate_limit_per_minute, USER_LIMIT_MESSAGE)


def take_key_model_call(key_id: int, limit: int) -> None:
    """Counts a model call against an API key's own per-minute limit (its own windows)."""
    message = f"API key rate limit exceeded ({limit} requests per minute)"
    _take(keys.api_key_rate_subject(key_id), limit, message)


@dataclass(frozen=True)
class PendingModelCall:
    """A model call's count against the user's limit, as actions for a write that belongs with it
    (the message a reply answers): `refusal` reads a cancelled transaction of them."""

    actions: list
    now: float
    limit: int

    @property
    def _buckets(self) -> range:
        return _windows_of(self.now)

    def refusal(self, cancelled, actions: list) -> RateLimited | None:
        """RateLimited when the count was refused in the cancelled transaction of `actions`."""
        sums = rate_limit_items.refusing_sums(self._buckets, cancelled, actions)
        if sums is None:
            return None
        retry_after = _retry_after(sums, self._buckets.start, self.limit, self.now)
        return RateLimited(USER_LIMIT_MESSAGE, retry_after=retry_after)


def pending_model_call(user_id: int) -> PendingModelCall:
    """The user's next model call counted within another write's transaction (see take_model_call)."""
    now, limit = clock.now_seconds(), get_settings().rate_limit_per_minute
    actions = rate_limit_items.take_actions(user_id, _windows_of(now), BUCKET_SECONDS, limit)
    return PendingModelCall(actions, now, limit)


def _take(subject: int | str, limit: int, message: str) -> None:
    """`subject`: a user id, or an API key's rate subject (the windows are `RATE#<subject>`)."""
    now = clock.now_seconds()
    windows = _windows_of(now)
    refusing = rate_limit_items.take(subject, windows, BUCKET_SECONDS, limit)
    if refusing is not None:
        raise RateLimited(message, retry_after=_retry_after(refusing, windows.start, limit, now))


def _windows_of(now: float) -> range:
    """The windows a call at `now` falls in: they end with its bucket and the WINDOW_BUCKETS - 1
    after it."""
    bucket = int(now // BUCKET_SECONDS)
    return range(bucket, bucket + WINDOW_BUCKETS)


def _retry_after(sums: dict[int, int], bucket: int, limit: int, now: float) -> int:
    """Seconds until every window holding the current bucket is below the limit again: the sums
    only fall with later buckets, so that is the end of the last full one's bucket."""
    last_full = max((j for j, total in sums.items() if total >= limit), default=bucket)
    return max(1, math.ceil((last_full + 1) * BUCKET_SECONDS - now))
