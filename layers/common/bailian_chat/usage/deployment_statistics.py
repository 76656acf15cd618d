"""GET /api/admin/statistics: 5.2's shape for the whole deployment, plus the number of accounts,
the users active in the range and the top users. Read only from the aggregator's rows (see
usage/aggregation.py): one Query of the daily rows (days x models), one Query per day that had
activity for the ranking (days x active users x models), one GetItem for the account count and one
BatchGetItem for the names of the users shown. Never grows with the number of calls."""

from collections import defaultdict

from bailian_chat.store import deployment_rollup_items, user_items
from bailian_chat.usage.dates import DateRange, date_range
from bailian_chat.usage.statistics import summary

TOP_USERS = 10


def admin_statistics(start_date: str | None, end_date: str | None, model_name: str | None) -> dict:
    """Use case of GET /api/admin/statistics."""
    return deployment_statistics(date_range(start_date, end_date), model_name)


def deployment_statistics(days: DateRange, model_name: str | None) -> dict:
    daily = deployment_rollup_items.daily_rows(days.start_day, days.end_day)
    data = summary(daily, model_name)
    active_days = sorted({row["date"] for row in daily})
    by_user: dict[int, list[dict]] = defaultdict(list)
    for day in active_days:
        for row in deployment_rollup_items.user_rows(day):
            if model_name is None or row["model_name"] == model_name:
                by_user[int(row["user_id"])].append(row)
    totals = {user_id: summary(rows) for user_id, rows in by_user.items()}
    active = [user_id for user_id, rows in by_user.items() if any(_activity(row) for row in rows)]
    ranked = sorted(active, key=lambda u: (-totals[u]["total_tokens"], u))[:TOP_USERS]
    names = {user_id: user.get("username") for user_id, user in user_items.get_users(ranked).items()}
    return {
        **data,
        "total_users": deployment_rollup_items.user_total(),
        "active_users": len(active),
        "top_users": [
            {
                "user_id": user_id,
                "username": names.get(user_id),
                "tokens": totals[user_id]["total_tokens"],
                "cost": totals[user_id].get("total_cost"),
            }
            for user_id in ranked
        ],
    }


def _activity(row: dict) -> bool:
    return any(row.get(name, 0) for name in ("calls", "tokens", "messages", "conversations"))
