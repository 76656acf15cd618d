"""Time in the formats the API and the table use. One place, so tests can reason about it."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime


def now_epoch() -> int:
    return int(time.time())


def now_seconds() -> float:
    """Epoch seconds with the fraction, for what must not round to the second (rate limits)."""
    return time.time()


def iso_from_epoch(epoch: float) -> str:
    """ISO 8601 UTC, second precision, Z suffix (the spec's timestamp format)."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return iso_from_epoch(time.time())


@dataclass(frozen=True)
class Instant:
    """One moment in every form a write needs: ISO text, milliseconds for ordering, the UTC day."""

    iso: str
    epoch_ms: int
    day: str


def instant() -> Instant:
    now = time.time()
    return Instant(iso=iso_from_epoch(now), epoch_ms=int(now * 1000), day=iso_from_epoch(now)[:10])
