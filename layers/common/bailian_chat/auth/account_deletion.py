"""DELETE /api/auth/user (issue 13 §3): the account and everything of it.

The password is checked under the login throttle; then the user is marked `deleting_at` (from that
write on, the authorizer, refresh and login refuse them), and the purge deletes in bounded batches
while the request has time. What it leaves (a very large account) is finished by the account_purge
function, which the table's stream invokes for the same mark, retrying until nothing is left. The
deployment-wide statistics keep their totals: only the user's ranking rows go.
"""

from collections.abc import Callable

from bailian_chat import clock
from bailian_chat.auth import audit, password_checks
from bailian_chat.auth.account_purging import TIME_MARGIN_MS, finish
from bailian_chat.errors import BadRequest, Conflict, Unauthorized
from bailian_chat.store import account_items, account_purge, user_items

WRONG_PASSWORD = "password: is incorrect"
LAST_ADMIN = "Cannot delete the last active admin: make another user admin first"


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
