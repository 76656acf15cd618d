"""DELETE /api/auth/user (issue 13 §3): the account and everything of it.

The password is checked under the login throttle; then the user is marked `deleting_at` (from that
write on, the authorizer, refresh and login refuse them), and the purge deletes in bounded batches
while the request has time. What it leaves (a very large account) is finished by the account_purge
function, which the table's stream invokes for the same mark, retrying until nothing is left. The
deployment-wide statistics keep their totals: only the user's ranking rows go.
"""

from collections.abc import Callable

from aws_lambda_powertools import Logger

from bailian_chat import clock
from bailian_chat.auth import audit, password_checks
from bailian_chat.errors import BadRequest, Conflict, Unauthorized
from bailian_chat.store import account_items, account_purge, stream_records, user_items

logger = Logger(child=True)

WRONG_PASSWORD = "password: is incorrect"
LAST_ADMIN = "Cannot delete the last active admin: make another user admin first"
# Stop purging this long before the function's timeout: a batch of deletes takes well under it.
TIME_MARGIN_MS = 5_000


def delete_account(user_id: int, client_ip: str, password: str, time_left_ms: Callable[[], int]) -> bool:
    """True when everything is gone already; False when the continuation finishes it."""
    user = user_items.get_user(user_id)
    if user is None or user.get("deleting_at"):
        raise Unauthorized()
    now = clock.now_epoch()
    if not password_checks.check_password(
        password_checks.account_of(user),
        client_ip,
        user["password_hash"],
        password,
        now,
        user_id=user_id,
        failure_event=audit.PASSWORD_CHECK_FAILED,
    ):
        raise BadRequest(WRONG_PASSWORD)
    if account_items.is_active_admin(user):  # the active-admin count must drop with it, never to zero
        try:
            account_items.change_account(user, {"role": account_items.USER})
        except account_items.LastAdmin as exc:
            raise Conflict(LAST_ADMIN) from exc
        except account_items.ChangedMeanwhile as exc:
            raise Conflict("The account was changed by another request meanwhile; try again") from exc
    marked = account_purge.mark_deleting(user_id, now, client_ip)
    if marked is None:
        raise Unauthorized()
    audit.log(user_id, audit.new_event(audit.ACCOUNT_DELETION_STARTED, client_ip))
    return finish(marked, lambda: time_left_ms() < TIME_MARGIN_MS)


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
