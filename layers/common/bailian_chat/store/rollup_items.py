"""Per-user, per-UTC-day, per-model activity counters that statistics read instead of raw items.

Each returns a transaction action, so a count is written in the same transaction as what it counts.
The items carry `item_type` = USER_DAILY: the table's stream hands exactly these to the usage
aggregator (its event filter), which adds their changes into the deployment-wide statistics.
"""

from bailian_chat.store import dynamodb, keys, queries

COUNTERS = ("conversations", "messages", "tokens", "calls", "cost_nanos")  # cost: 1e-9 units
USER_DAILY = "user_daily"


def add_action(user_id: int, day: str, model_name: str, **amounts: int) -> dict:
    pair = keys.daily_rollup(user_id, day, model_name)
    return _add_action(pair, day, model_name, amounts, item_type=USER_DAILY)


def add_key_action(user_id: int, api_key_id: int, day: str, model_name: str, **amounts: int) -> dict:
    """The same counters for the calls of one API key (5.1's totals when filtered by key). Not marked
    USER_DAILY: the aggregator counts each call once, from the user's rollup."""
    pair = keys.api_key_daily_rollup(user_id, api_key_id, day, model_name)
    return _add_action(pair, day, model_name, amounts)


def _add_action(
    pair: tuple[str, str], day: str, model_name: str, amounts: dict[str, int], item_type: str | None = None
) -> dict:
    unknown = set(amounts) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown rollup counters: {unknown}")
    names = {f"#{name}": name for name in amounts}
    values = {f":{name}": amount for name, amount in amounts.items()}
    additions = ", ".join(f"#{name} :{name}" for name in amounts)
    labels = {":day": day, ":model": model_name, **({":type": item_type} if item_type else {})}
    marked = ", item_type = :type" if item_type else ""
    return {
        "Update": {
            "Key": dynamodb.key(*pair),
            "UpdateExpression": f"SET #day = :day, model_name = :model{marked} ADD {additions}",
            "ExpressionAttributeNames": {**names, "#day": "date"},
            "ExpressionAttributeValues": dynamodb.to_values({**values, **labels}),
        }
    }


def query_range(user_id: int, start_day: str, end_day: str, api_key_id: int | None = None) -> list[dict]:
    """The user's rollup rows in the range (or only those of the calls of one API key)."""
    if api_key_id is None:
        pk, _ = keys.daily_rollup(user_id, start_day, "")
    else:
        pk, _ = keys.api_key_daily_rollup(user_id, api_key_id, start_day, "")
    return queries.query_all(
        "PK = :pk AND SK BETWEEN :start AND :end",
        {":pk": pk, ":start": f"{start_day}#", ":end": f"{end_day}#\uffff"},
    )
