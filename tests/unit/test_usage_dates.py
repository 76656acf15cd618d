"""bailian_chat.usage.dates.date_range: the optional, inclusive UTC YYYY-MM-DD range of the history
endpoints."""

from datetime import UTC, datetime

import pytest
from bailian_chat.errors import BadRequest
from bailian_chat.usage.dates import FIRST_DAY, LAST_DAY, DateRange, date_range


def epoch_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() * 1000)


def test_no_dates_is_all_time():
    days = date_range(None, None)

    assert days == DateRange(FIRST_DAY, LAST_DAY)
    assert days.start_ms < 0 < epoch_ms("2024-01-01T00:00:00") < days.end_ms
    assert days.end_ms == epoch_ms("9999-12-31T23:59:59.999")


def test_both_ends_are_inclusive_whole_utc_days():
    days = date_range("2024-02-28", "2024-03-01")

    assert (days.start_day, days.end_day) == ("2024-02-28", "2024-03-01")
    assert days.start_ms == epoch_ms("2024-02-28T00:00:00")
    assert days.end_ms == epoch_ms("2024-03-01T23:59:59.999")


def test_a_single_day_range():
    days = date_range("2024-12-31", "2024-12-31")

    assert days.start_ms == epoch_ms("2024-12-31T00:00:00")
    assert days.end_ms == epoch_ms("2025-01-01T00:00:00") - 1


def test_one_open_end():
    assert date_range("2024-05-01", None) == DateRange("2024-05-01", LAST_DAY)
    assert date_range(None, "2024-05-01") == DateRange(FIRST_DAY, "2024-05-01")


@pytest.mark.parametrize(
    "bad",
    [
        "2024-13-01",
        "2024-1-1",
        "2024-01-1",
        "yesterday",
        "2024-02-30",
        "2023-02-29",
        "20240101",
        "2024/01/01",
        "01-01-2024",
        "",
        " 2024-01-01",
        "2024-01-01T00:00:00Z",
        "\uff12\uff10\uff12\uff14-01-01",  # full-width digits: strptime takes them, YYYY-MM-DD does not
    ],
)
@pytest.mark.parametrize("field", ["start_date", "end_date"])
def test_a_malformed_date_is_a_400_naming_the_field(field, bad):
    with pytest.raises(BadRequest) as raised:
        date_range(**{"start_date": None, "end_date": None, field: bad})

    assert raised.value.message == f"{field}: must be a date in YYYY-MM-DD format"


def test_a_leap_day_is_a_date():
    assert date_range("2024-02-29", "2024-02-29") == DateRange("2024-02-29", "2024-02-29")


def test_start_after_end_is_a_400():
    with pytest.raises(BadRequest) as raised:
        date_range("2024-03-02", "2024-03-01")

    assert raised.value.message == "start_date: must not be after end_date"
