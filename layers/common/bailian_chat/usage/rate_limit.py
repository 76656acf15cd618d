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
from bailian_chat.store import dynamodb, keys, rate_limit_items, transactions

WINDOW_SECONDS = 60
BUCKET_SECONDS = 2
WINDOW_BUCKETS = WINDOW_SECONDS // BUCKET_SECONDS + 1  # any 60-s span lies within this many buckets
USER_LIMIT_MESSAGE = "Request rate limit exceeded"
CONTENDED_MESSAGE = "Too many concurrent model calls; retry shortly"


@dataclass(frozen=True)
class _Count:
    """One limit a model call counts against: the user's, or an API key's own."""

    subject: int | str  # the windows are `RATE#<subject>`
    limit: int
    message: str


@dataclass(frozen=True)
class PendingModelCall:
    """A model call's counts (the user's limit and/or its API key's own), as actions written in one
    transaction, alone (`take`) or with a write that belongs with them (the message a reply
    answers, the call's spend reservation): `refusal` reads a cancelled transaction of them."""

    counts: tuple[_Count, ...]
    actions: list
    now: float

    @property
    def _buckets(self) -> range:
        return _windows_of(self.now)

    def refusal(self, cancelled, actions: list) -> RateLimited | None:
        """RateLimited when a count was refused in the cancelled transaction of `actions` (the
        key's own limit named first: it is the one the key's holder set)."""
        for count in self.counts:
            sums = rate_limit_items.refusing_sums(count.subject, self._buckets, cancelled, actions)
            if sums is not None:
                return self._limited(count, sums)
        return None

    def take(self) -> None:
        """Writes the counts alone: one request (RateLimited when one is refused, nothing counted)."""
        if len(self.counts) == 1:  # the store's own take: an UpdateItem (a transaction over 2 items)
            count = self.counts[0]
            sums = rate_limit_items.take(count.subject, self._buckets, BUCKET_SECONDS, count.limit)
            if sums is not None:
                raise self._limited(count, sums)
            return
        try:
            transactions.write(self.actions)
        except dynamodb.TransactionCancelled as cancelled:
            limited = self.refusal(cancelled, self.actions)
            if limited is None and transactions.CONFLICT in cancelled.reasons:  # conflicts outlasted retries
                limited = RateLimited(CONTENDED_MESSAGE, retry_after=1)
            raise limited or cancelled from cancelled

    def _limited(self, count: _Count, sums: dict[int, int]) -> RateLimited:
        retry_after = _retry_after(sums, self._buckets.start, count.limit, self.now)
        return RateLimited(count.message, retry_after=retry_after)


def pending_model_call(
    user_id: int | None, key_id: int | None = None, key_limit: int | None = None
) -> PendingModelCall | None:
    """The next model call's counts, to be written in one transaction: the user's (None: already
    counted, e.g. with the message a reply answers) and the API key's own limit (if it has one).
    None when there is nothing to count."""
    now = clock.now_seconds()
    counts = []
    if key_id is not None and key_limit:
        message = f"API key rate limit exceeded ({key_limit} requests per minute)"
        counts.append(_Count(keys.api_key_rate_subject(key_id), key_limit, message))
    if user_id is not None:
        counts.append(_Count(user_id, get_settings().rate_limit_per_minute, USER_LIMIT_MESSAGE))
    if not counts:
        return None
    windows = _windows_of(now)
    actions = [
        action
        for count in counts
        for action in rate_limit_items.take_actions(count.subject, windows, BUCKET_SECONDS, count.limit)
    ]
    return PendingModelCall(tuple(counts), actions, now)


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
