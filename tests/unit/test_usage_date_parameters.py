"""The date query parameters (api.params.DateFilter, checked by usage.dates.calendar_day) and the
use cases of the history endpoints, which check the range's order where both days are seen."""

import pytest
from bailian_chat import clock
from bailian_chat.api.params import DateFilter
from bailian_chat.errors import BadRequest
from bailian_chat.paging import PageRequest
from bailian_chat.usage import deployment_statistics, history, statistics
from bailian_chat.usage.dates import NOT_A_DAY, calendar_day
from bailian_chat.usage.model_calls import CallSource, call_model
from pydantic import TypeAdapter, ValidationError

USER = 51
REVERSED = ("2024-03-02", "2024-03-01")


@pytest.mark.parametrize("value", [None, "2024-02-29", "0001-01-01", "9999-12-31"])
def test_a_day_or_nothing_passes_unchanged(value):
    assert calendar_day(value) == value
    assert TypeAdapter(DateFilter).validate_python(value) == value


@pytest.mark.parametrize("value", ["2023-02-29", "2024-1-01", "2024-01-1 ", "", "\uff12024-01-01"])
def test_anything_else_is_refused_with_the_apis_message(value):
    with pytest.raises(ValueError, match=NOT_A_DAY):
        calendar_day(value)
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(DateFilter).validate_python(value)

    assert raised.value.errors()[0]["msg"] == f"Value error, {NOT_A_DAY}"


def test_a_value_longer_than_a_day_fails_on_its_length_first():
    with pytest.raises(ValidationError) as raised:
        TypeAdapter(DateFilter).validate_python("2024-01-01T00:00:00Z")

    assert raised.value.errors()[0]["type"] == "string_too_long"


@pytest.mark.parametrize(
    "use_case",
    [
        lambda start, end: history.api_call_history(USER, PageRequest(1, 10), None, start, end),
        lambda start, end: statistics.user_statistics(USER, start, end, None),
        lambda start, end: deployment_statistics.admin_statistics(start, end, None),
    ],
    ids=["api_call_history", "user_statistics", "admin_statistics"],
)
def test_the_use_cases_refuse_a_start_after_the_end_and_read_any_range(table, use_case):
    with pytest.raises(BadRequest) as raised:
        use_case(*REVERSED)

    assert raised.value.message == "start_date: must not be after end_date"
    assert use_case(None, None) == use_case("0001-01-01", "9999-12-31")


@pytest.mark.parametrize(
    ("use_case", "count"),
    [
        (
            lambda start, end: history.api_call_history(USER, PageRequest(1, 10), None, start, end),
            lambda data: data["pagination"]["total"],
        ),
        (
            lambda start, end: statistics.user_statistics(USER, start, end, None),
            lambda data: data["total_tokens"],
        ),
    ],
    ids=["api_call_history", "user_statistics"],
)
def test_no_dates_read_every_day_and_a_day_reads_only_that_day(upstream, use_case, count):
    source = CallSource(user_id=USER, client_ip="203.0.113.5", api_endpoint="/api/bailian/chat/completions")
    call_model(source, {"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}]})
    today = clock.instant().day

    logged = count(use_case(today, today))
    assert logged > 0
    assert count(use_case(None, None)) == count(use_case("0001-01-01", "9999-12-31")) == logged
    assert count(use_case("2000-01-01", "2000-01-01")) == 0
