"""The optional inclusive UTC date range of the history endpoints."""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from bailian_chat.errors import BadRequest

FIRST_DAY = "0001-01-01"
LAST_DAY = "9999-12-31"
# Exactly YYYY-MM-DD in ASCII digits: strptime would also take "2026-12- 2" (a '+' in the URL) or
# "2026-1-2", which then compare wrongly as strings against stored days.
DAY_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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


NOT_A_DAY = "must be a date in YYYY-MM-DD format"


def calendar_day(value: str | None) -> str | None:
    """The query parameters' validator (api/params.py): the value if it is a day, else ValueError,
    which the API answers 400 "<parameter>: must be a date in YYYY-MM-DD format"."""
    if value is not None and not _is_day(value):
        raise ValueError(NOT_A_DAY)
    return value


def _is_day(value: str) -> bool:
    if not DAY_PATTERN.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)  # 2024-02-30, 2024-13-01 and 0000-01-01 are not
    except ValueError:
        return False
    return True


def _parse_day(field: str, value: str | None, default: str) -> str:
    if value is None:
        return default
    if not _is_day(value):
        raise BadRequest(f"{field}: {NOT_A_DAY}")
    return value


def date_range(start_date: str | None, end_date: str | None) -> DateRange:
    """The range the history endpoints read: all days when neither is given. The parameters come
    checked one by one (calendar_day); the order of the two is checked here, where both are seen."""
    start = _parse_day("start_date", start_date, FIRST_DAY)
    end = _parse_day("end_date", end_date, LAST_DAY)
    if start > end:
        raise BadRequest("start_date: must not be after end_date")
    return DateRange(start, end)
