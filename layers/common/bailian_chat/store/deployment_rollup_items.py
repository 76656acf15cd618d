"""Deployment-wide statistics items: daily counts per model, per user per day and model (the
top-users ranking) and the number of accounts. Only the usage aggregator writes them, a batch of
stream records in one transaction with a marker per record, so a redelivered record adds nothing."""

from dataclasses import dataclass, field

from bailian_chat.store import dynamodb, keys, queries, transactions

# A marker outlives the stream's 24-hour retention: no record can come back after it expired.
MARKER_TTL_SECONDS = 2 * 24 * 3600


@dataclass
class BatchDeltas:
    """What one batch of records adds: counts by (day, model) and by (day, user, model)."""

    event_ids: list[str] = field(default_factory=list)
    daily: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    user_daily: dict[tuple[str, int, str], dict[str, int]] = field(default_factory=dict)
    users: int = 0


class AlreadyAggregated(Exception):
    """Some of the batch's records were aggregated before (`event_ids`); nothing was written."""

    def __init__(self, event_ids: list[str], gone_users: set[int]):
        super().__init__(f"records already aggregated: {event_ids}")
        self.event_ids = event_ids
        self.gone_users = gone_users


def _add(key: tuple[str, str], counts: dict[str, int], labels: dict) -> dict:
    """ADD `counts` to the item, SET its `labels` (names through #placeholders: `date` is reserved)."""
    names = {f"#{name}": name for name in (*counts, *labels)}
    values = {f":{name}": value for name, value in (*counts.items(), *labels.items())}
    sets = ", ".join(f"#{name} = :{name}" for name in labels)
    additions = ", ".join(f"#{name} :{name}" for name in counts)
    expression = (f"SET {sets} " if sets else "") + f"ADD {additions}"
    return {
        "Update": {
            "Key": dynamodb.key(*key),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": dynamodb.to_values(values),
        }
    }


def _live_user_check(user_id: int) -> dict:
    """The user still exists and is not being deleted: their ranking rows may be written."""
    return {
        "ConditionCheck": {
            "Key": dynamodb.key(*keys.user(user_id)),
            "ConditionExpression": "attribute_exists(PK) AND attribute_not_exists(deleting_at)",
        }
    }


def write_batch(deltas: BatchDeltas, now: int, skip_users: set[int] = frozenset()) -> None:
    """One transaction: a marker per record (absent before) and every count's ADD. Raises
    AlreadyAggregated naming the records whose marker exists and the users who are gone (whose
    ranking rows must be left out): the caller writes the batch again without them."""
    markers = [
        (
            f"marker {event_id}",
            transactions.put_if_absent(
                {**keys.pk_sk(keys.aggregated_record(event_id)), "expires_at": now + MARKER_TTL_SECONDS}
            ),
        )
        for event_id in deltas.event_ids
    ]
    daily = [
        _add(keys.deployment_daily(day, model), counts, {"date": day, "model_name": model})
        for (day, model), counts in deltas.daily.items()
    ]
    user_rows = {k: v for k, v in deltas.user_daily.items() if k[1] not in skip_users}
    ranking = [
        _add(
            keys.deployment_user_day(day, user, model),
            counts,
            {"date": day, "user_id": user, "model_name": model},
        )
        for (day, user, model), counts in user_rows.items()
    ]
    checked_users = sorted({user for _, user, _ in user_rows})
    checks = [(f"user {user}", _live_user_check(user)) for user in checked_users]
    totals = [_add(keys.deployment_user_total(), {"count": deltas.users}, {})] if deltas.users else []
    counts = [("count", action) for action in (*daily, *ranking, *totals)]
    if not counts:
        return  # nothing to count (e.g. only records of users already gone)
    actions = [*markers, *checks, *counts]
    try:
        transactions.write(actions)
    except dynamodb.TransactionCancelled as exc:
        failed = transactions.failed(exc, actions)
        if not failed:
            raise
        done = [event_id for event_id in deltas.event_ids if f"marker {event_id}" in failed]
        gone = {user for user in checked_users if f"user {user}" in failed}
        raise AlreadyAggregated(done, gone) from exc


def daily_rows(start_day: str, end_day: str) -> list[dict]:
    return queries.query_all(
        "PK = :pk AND SK BETWEEN :start AND :end",
        {":pk": keys.DEPLOYMENT_DAILY, ":start": f"{start_day}#", ":end": f"{end_day}#\uffff"},
    )


def user_rows(day: str) -> list[dict]:
    pk, _ = keys.deployment_user_day(day, 0, "")
    return queries.query_all("PK = :pk", {":pk": pk})


def user_total() -> int:
    item = dynamodb.get_item(*keys.deployment_user_total())
    return int(item.get("count", 0)) if item else 0


def delete_user_rows(user_id: int, day_models: list[tuple[str, str]]) -> None:
    """Drops the user's ranking rows (account deletion); the daily totals keep their counts."""
    queries.batch_delete(
        [dynamodb.key(*keys.deployment_user_day(day, user_id, model)) for day, model in day_models]
    )
