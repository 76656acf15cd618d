"""Deployment-wide usage, aggregated off the request path from the table's stream.

Every change of a user's daily rollup (written in the same transaction as the call, conversation
or message it counts) arrives as a stream record with its old and new image; the difference is
added to the deployment's daily row of that model and to the user's ranking row. Account
creations and deletions (the PROFILE item) move the account count. A batch is written in one
transaction with a marker per record, so a record delivered twice is counted once; a deleted
user's ranking rows are never written again (the deployment totals still count the activity).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from aws_lambda_powertools import Logger

from bailian_chat import clock
from bailian_chat.store import deployment_rollup_items, rollup_items, stream_records, user_items

logger = Logger()

# 20 records -> at most 20 markers + 20 user checks + 20 daily + 20 ranking rows (an account change
# takes a rollup's place, with the one total): 80 of TransactWriteItems' 100 actions, whatever the
# shard count (it changes where the rows go, not how many).
CHUNK = 20
COUNTED = (*rollup_items.COUNTERS, *(("cost_nanos",) if "cost_nanos" not in rollup_items.COUNTERS else ()))
USER_PREFIX = "USER#"
DAILY_SUFFIX = "#DAILY"


@dataclass(frozen=True)
class RollupChange:
    event_id: str
    user_id: int
    day: str
    model_name: str
    counts: dict[str, int]


@dataclass(frozen=True)
class AccountChange:
    event_id: str
    delta: int  # +1 created, -1 deleted


def classify(record: dict) -> RollupChange | AccountChange | None:
    """What a stream record adds to the deployment's statistics; None for any other item (the
    event source's filter already keeps those out; this holds without it, as locally)."""
    keys, new, old = stream_records.images(record)
    event, event_id = record.get("eventName"), record.get("eventID", "")
    pk, sk = str(keys.get("PK", "")), keys.get("SK")
    owner = pk.removeprefix(USER_PREFIX).removesuffix(DAILY_SUFFIX)
    if event in ("INSERT", "MODIFY") and new.get("item_type") == rollup_items.USER_DAILY and owner.isdigit():
        # (only USER#<id>#DAILY: a per-API-key rollup of the same calls must never count twice)
        counts = {name: int(new.get(name, 0)) - int(old.get(name, 0)) for name in COUNTED}
        return RollupChange(event_id, int(owner), new["date"], new["model_name"], counts)
    if sk == "PROFILE" and pk.startswith(USER_PREFIX) and event in ("INSERT", "REMOVE"):
        return AccountChange(event_id, 1 if event == "INSERT" else -1)
    return None


def _deltas(
    changes: Iterable[RollupChange | AccountChange], usernames: dict[int, str]
) -> deployment_rollup_items.BatchDeltas:
    deltas = deployment_rollup_items.BatchDeltas(usernames=usernames)
    for change in changes:
        deltas.event_ids.append(change.event_id)
        if isinstance(change, AccountChange):
            deltas.users += change.delta
            continue
        for row, key in (
            (deltas.daily, (change.day, change.model_name)),
            (deltas.user_daily, (change.day, change.user_id, change.model_name)),
        ):
            counts = row.setdefault(key, dict.fromkeys(COUNTED, 0))
            for name, amount in change.counts.items():
                counts[name] += amount
    return deltas


def aggregate(changes: list[RollupChange | AccountChange]) -> None:
    """Writes the changes' sums once; records aggregated before are left out, and so are the
    ranking rows of users who are gone or being deleted."""
    usernames, skip_users = _live_usernames(changes)
    pending = list(changes)
    while pending:
        try:
            deployment_rollup_items.write_batch(_deltas(pending, usernames), clock.now_epoch(), skip_users)
            return
        except deployment_rollup_items.AlreadyAggregated as done:
            if not done.event_ids and done.gone_users <= skip_users:
                raise  # no progress: should not happen, but never loop forever
            pending = [c for c in pending if c.event_id not in set(done.event_ids)]
            skip_users |= done.gone_users


def _live_usernames(changes: list[RollupChange | AccountChange]) -> tuple[dict[int, str], set[int]]:
    """The names the ranking rows carry (one BatchGetItem, off the request path: the admin read
    then needs none), and the users already gone or being deleted (the transaction's condition
    still catches one deleted meanwhile)."""
    user_ids = sorted({change.user_id for change in changes if isinstance(change, RollupChange)})
    users = user_items.get_users(user_ids) if user_ids else {}
    names = {user_id: user["username"] for user_id, user in users.items() if "deleting_at" not in user}
    return names, set(user_ids) - set(names)


def handle_stream_batch(records: list[dict]) -> dict:
    """The Lambda answer for a DynamoDB stream batch (ReportBatchItemFailures): on a failure, the
    first record of the chunk that failed, so the stream retries from there."""
    for start in range(0, len(records), CHUNK):
        chunk = records[start : start + CHUNK]
        changes = [change for record in chunk if (change := classify(record)) is not None]
        try:
            aggregate(changes)
        except Exception:
            logger.exception("usage aggregation failed", extra={"records": len(chunk)})
            first = stream_records.sequence_number(chunk[0])
            return {"batchItemFailures": [{"itemIdentifier": first}]}
    return {"batchItemFailures": []}
