"""Conversation statistics (spec 5.2), read only from the daily per-model rollups: the cost grows
with days x models, never with the number of calls or messages."""

from collections import defaultdict

from bailian_chat.store import rollup_items
from bailian_chat.usage import money, pricing
from bailian_chat.usage.dates import DateRange, date_range


def _counts(rows: list[dict]) -> dict:
    return {
        "conversation_count": sum(r.get("conversations", 0) for r in rows),
        "message_count": sum(r.get("messages", 0) for r in rows),
        "token_count": sum(r.get("tokens", 0) for r in rows),
        "cost": money.nanos_text(sum(r.get("cost_nanos", 0) for r in rows)),
    }


def user_statistics(
    user_id: int, start_date: str | None, end_date: str | None, model_name: str | None
) -> dict:
    """Use case of GET /api/history/conversations/statistics (spec 5.2)."""
    return statistics(user_id, date_range(start_date, end_date), model_name)


def statistics(user_id: int, days: DateRange, model_name: str | None) -> dict:
    return summary(rollup_items.query_range(user_id, days.start_day, days.end_day), model_name)


def summary(daily_rows: list[dict], model_name: str | None = None) -> dict:
    """5.2's shape from rows of daily per-model counts (a user's rollups or the deployment's)."""
    rows = [row for row in daily_rows if model_name is None or row["model_name"] == model_name]
    by_model: dict[str, list[dict]] = defaultdict(list)
    by_day: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_model[row["model_name"]].append(row)
        by_day[row["date"]].append(row)
    totals = _counts(rows)
    return {
        "total_conversations": totals["conversation_count"],
        "total_messages": totals["message_count"],
        "total_tokens": totals["token_count"],
        "total_cost": totals["cost"],
        "currency": pricing.currency(),
        "model_statistics": [{"model_name": m, **_counts(by_model[m])} for m in sorted(by_model)],
        "daily_statistics": [{"date": d, **_counts(by_day[d])} for d in sorted(by_day)],
    }
