"""Time in the formats the API and the table use. One place, so tests can reason about it."""

import time
from datetime import UTC, datetime


def now_epoch() -> int:
    return int(time.time())


def iso_from_epoch(epoch: float) -> str:
    """ISO 8601 UTC, second precision, Z suffix (the spec's timestamp format)."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_iso() -> str:
    return iso_from_epoch(time.time())
