"""The optional inclusive UTC date range of the history endpoints."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bailian_chat.errors import BadRequest

FIRST_DAY = "0001-01-01"
LAST_DAY = "9999-12-31"


@dataclass(frozen=True)
class DateRange:
    start_day: str
    end_day: str

    @property
    def start_ms(self) -> int:
        return _epoch_ms(self.start_day)

    @property
    def end_ms(self) -> int:
        """The last millisecond of end_day."""
        return _epoch_ms(self.end_day, days_after=1) - 1


def _epoch_ms(day: str, days_after: int = 0) -> int:
    moment = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC)
    if day == LAST_DAY and days_after:
        return int(moment.timestamp() * 1000) + days_after * 86_400_000
    return int((moment + timedelta(days=days_after)).timestamp() * 1000)


def _parse_day(field: str, value: str | None, default: str) -> str:
    if value is None:
        return default
    try:
        parsed = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        parsed = None
    if parsed is None or len(value) != 10 or not value.isascii():
        raise BadRequest(f"{field}: must be a date in YYYY-MM-DD format")
    return value


def date_range(start_date: str | None, end_date: str | None) -> DateRange:
    start = _parse_day("start_date", start_date, FIRST_DAY)
    end = _parse_day("end_date", end_date, LAST_DAY)
    if start > end:
        raise BadRequest("start_date: must not be after end_date")
    return DateRange(start, end)
