"""GET /api/admin/statistics: 5.2's shape for the whole deployment, plus the number of accounts,
the users active in the range and the top users. Read only from the aggregator's rows (see
usage/aggregation.py), in one round trip of calls sent together (store/deployment_statistics_rows.py):
one Query per statistics shard, whatever the range, and the account count. Never grows with the
number of calls. The ranking rows carry the username; rows written before they did (and before the
sharding) leave a name to read, only for the users shown."""

from collections import defaultdict

from bailian_chat.store import deployment_statistics_rows, user_items
from bailian_chat.usage.dates import DateRange, date_range
from bailian_chat.usage.statistics import summary

TOP_USERS = 10


def admin_statistics(start_date: str | None, end_date: str | None, model_name: str | None) -> dict:
    """Use case of GET /api/admin/statistics."""
    return deployment_statistics(date_range(start_date, end_date), model_name)


def deployment_statistics(days: DateRange, model_name: str | None) -> dict:
    rows = deployment_statistics_rows.statistics_rows(days.start_day, days.end_day)
    data = summary(rows.daily, model_name)
    by_user: dict[int, list[dict]] = defaultdict(list)
    for row in rows.ranking:
        if model_name is None or row["model_name"] == model_name:
            by_user[int(row["user_id"])].append(row)
    totals = {user_id: summary(user_rows) for user_id, user_rows in by_user.items()}
    active = [user_id for user_id, user_rows in by_user.items() if any(_activity(row) for row in user_rows)]
    ranked = sorted(active, key=lambda u: (-totals[u]["total_tokens"], u))[:TOP_USERS]
    names = _usernames({user_id: by_user[user_id] for user_id in ranked})
    return {
        **data,
        "total_users": rows.total_users,
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


def _usernames(rows_by_user: dict[int, list[dict]]) -> dict[int, str | None]:
    """Each user's name from their ranking rows (usernames never change); the users' items only
    for those whose rows all predate the name on them."""
    names = {
        user_id: next((row["username"] for row in user_rows if row.get("username")), None)
        for user_id, user_rows in rows_by_user.items()
    }
    unnamed = [user_id for user_id, name in names.items() if name is None]
    if unnamed:
        names |= {user_id: user.get("username") for user_id, user in user_items.get_users(unnamed).items()}
    return names


def _activity(row: dict) -> bool:
    return any(row.get(name, 0) for name in ("calls", "tokens", "messages", "conversations"))
