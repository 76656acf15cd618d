"""Per-user, per-UTC-day, per-model activity counters that statistics read instead of raw items.

Each returns a transaction action, so a count is written in the same transaction as what it counts.
The items carry `item_type` = USER_DAILY: the table's stream hands exactly these to the usage
aggregator (its event filter), which adds their changes into the deployment-wide statistics.
"""

from bailian_chat.store import dynamodb, keys

COUNTERS = ("conversations", "messages", "tokens", "calls")
USER_DAILY = "user_daily"


def add_action(user_id: int, day: str, model_name: str, **amounts: int) -> dict:
    unknown = set(amounts) - set(COUNTERS)
    if unknown:
        raise ValueError(f"unknown rollup counters: {unknown}")
    names = {f"#{name}": name for name in amounts}
    values = {f":{name}": amount for name, amount in amounts.items()}
    additions = ", ".join(f"#{name} :{name}" for name in amounts)
    return {
        "Update": {
            "Key": dynamodb.key(*keys.daily_rollup(user_id, day, model_name)),
            "UpdateExpression": f"SET #day = :day, model_name = :model, item_type = :type ADD {additions}",
            "ExpressionAttributeNames": {**names, "#day": "date"},
            "ExpressionAttributeValues": dynamodb.to_values(
                {**values, ":day": day, ":model": model_name, ":type": USER_DAILY}
            ),
        }
    }


def query_range(user_id: int, start_day: str, end_day: str) -> list[dict]:
    pk, _ = keys.daily_rollup(user_id, start_day, "")
    return dynamodb.query_all(
        "PK = :pk AND SK BETWEEN :start AND :end",
        {":pk": pk, ":start": f"{start_day}#", ":end": f"{end_day}#\uffff"},
    )
