"""API-call history (spec 5.1): newest first; totals from the daily rollups, never a count Query."""

from bailian_chat.paging import PageRequest, pagination
from bailian_chat.store import model_call_items, rollup_items
from bailian_chat.store.concurrent_reads import read_concurrently
from bailian_chat.usage.dates import DateRange, date_range
from bailian_chat.usage.responses import ApiCall


def public_call(call: dict) -> dict:
    # Items logged before streaming existed lack client_disconnected: their client never
    # disconnected. (cost is null for calls logged before costs were recorded.)
    return ApiCall.pick(call, client_disconnected=bool(call.get("client_disconnected", False)))


def api_call_page(
    user_id: int,
    page: PageRequest,
    model_name: str | None,
    days: DateRange,
    api_key_id: int | None = None,
) -> dict:
    """`api_key_id` keeps the calls made with that key of the caller's (another user's key id
    finds nothing: both the rows and the calls are read from the caller's own partitions)."""
    # The rollups (the total) and the page live in different partitions: both read at once.
    rows, calls = read_concurrently(
        lambda: rollup_items.query_range(user_id, days.start_day, days.end_day, api_key_id),
        lambda: model_call_items.list_calls(
            user_id, model_name, days.start_ms, days.end_ms, page.offset, page.limit, api_key_id
        ),
    )
    total = sum(row.get("calls", 0) for row in rows if model_name is None or row["model_name"] == model_name)
    if page.offset >= total:  # the total says the page is past the end (as a lone read would)
        calls = []
    return {"api_calls": [public_call(c) for c in calls], "pagination": pagination(page, total)}


def api_call_history(
    user_id: int,
    page: PageRequest,
    model_name: str | None,
    start_date: str | None,
    end_date: str | None,
    api_key_id: int | None = None,
) -> dict:
    """Use case of GET /api/history/api-calls (spec 5.1): the days checked as a range, then the page."""
    return api_call_page(user_id, page, model_name, date_range(start_date, end_date), api_key_id)
