"""Purging what is left of an account marked deleting: in the DELETE /api/auth/user request while
it has time (account_deletion), and to the end in the account_purge function the table's stream
invokes for the mark. Apart from account_deletion, so the purge function imports no password check
(argon2)."""

from collections.abc import Callable

from aws_lambda_powertools import Logger

from bailian_chat.auth import audit
from bailian_chat.store import account_purge, stream_records

logger = Logger(child=True)

# Stop purging this long before the function's timeout: a batch of deletes takes well under it.
TIME_MARGIN_MS = 5_000


def _never() -> bool:
    return False


def finish(user: dict, should_stop: Callable[[], bool] = _never) -> bool:
    """Purges what is left of a user marked deleting; False if it stopped for time."""
    user_id = user["user_id"]
    addresses = account_purge.session_client_ips(user_id) | {user.get("deleting_from") or "unknown"}
    try:
        account_purge.purge(user, addresses, should_stop)
    except account_purge.Stopped:
        logger.info("account purge paused: the continuation finishes it", extra={"user_id": user_id})
        return False
    audit.log(user_id, audit.new_event(audit.ACCOUNT_DELETED))
    return True


def handle_purge_records(records: list[dict], time_left_ms: Callable[[], int]) -> dict:
    """The account_purge function: each stream record of a profile marked deleting is purged to the
    end; one that runs out of time is reported, so the stream hands it (and what follows) again."""
    for record in records:
        _, new, _ = stream_records.images(record)
        if not new.get("deleting_at") or "user_id" not in new:
            continue
        if not finish(dict(new), should_stop=lambda: time_left_ms() < TIME_MARGIN_MS):
            return {"batchItemFailures": [{"itemIdentifier": stream_records.sequence_number(record)}]}
    return {"batchItemFailures": []}
