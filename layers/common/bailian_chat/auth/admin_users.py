"""What admins do to users: list and search them, see one with this month's usage, change their
status, role and spend-limit ceilings; and the command that makes the first admin."""

from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from bailian_chat.auth import audit, user_views
from bailian_chat.auth.responses import AdminUserDetail, CurrentUser
from bailian_chat.errors import BadRequest, Conflict, NotFound
from bailian_chat.paging import PageRequest, pagination
from bailian_chat.store import account_items, rollup_items, user_items, user_list_items
from bailian_chat.store.concurrent_reads import read_concurrently
from bailian_chat.text_rules import identifier_key
from bailian_chat.usage import money, pricing

logger = Logger(child=True)

NO_SUCH_USER = "User does not exist"
NOT_YOURSELF = "You cannot disable or demote yourself"
LAST_ADMIN = "Cannot remove the last active admin: make another user admin first"
NOTHING_TO_CHANGE = (
    "Request body must set at least one of status, role, daily_limit_ceiling, monthly_limit_ceiling"
)
CHANGE_TRIES = 3  # a concurrent change of the same user sends us round again


def list_users(query: str | None, status: int | None, page: PageRequest) -> dict:
    """Users newest first, optionally those whose username or email starts with `query`
    (case-insensitive) and/or with the given status."""
    if query is None:
        listed = user_list_items.users_page(status, page.offset, page.limit)
        if listed is not None:  # one Query: the page and its count
            total, users = listed
            return {
                "users": [user_views.public_user(user, CurrentUser) for user in users],
                "pagination": pagination(page, total),
            }
    prefix = identifier_key(query) if query is not None else None
    # A search reads what the page shows with its username matches (its matches are few): one round
    # trip. Without a search, until the user list is indexed (a table from before it, not yet
    # backfilled), the whole directory is read for ids alone, then the page's users: the public
    # attributes of every user cost twice the CPU of their ids (2,000 users: 41 vs 20 ms).
    shown = CurrentUser.model_fields if prefix is not None else ()
    matching, listed = [], {}
    if query is None or prefix is not None:
        matching, listed = account_items.directory_search(prefix, status, shown)
    matching.reverse()  # ids grow with registration: newest first
    shown_ids = matching[page.offset : page.offset + page.limit]
    unread = [i for i in shown_ids if i not in listed]  # no search, or matched by email alone
    found = {**listed, **(user_items.get_users(unread) if unread else {})}
    return {
        "users": [user_views.public_user(found[i], CurrentUser) for i in shown_ids if i in found],
        "pagination": pagination(page, len(matching)),
    }


def user_detail(user_id: int) -> dict:
    """The user and their month's usage, read at once (different partitions: one round trip)."""
    user, usage = read_concurrently(lambda: user_items.get_user(user_id), lambda: month_usage(user_id))
    if user is None:
        raise NotFound(NO_SUCH_USER)
    return user_views.public_user(user, AdminUserDetail, usage_this_month=usage)


def month_usage(user_id: int, today: datetime | None = None) -> dict:
    """Model calls, tokens and cost of the current UTC month, from the user's daily rollups (one
    Query of at most days x models items)."""
    today = today or datetime.now(UTC)
    first = today.strftime("%Y-%m-01")
    rows = rollup_items.query_range(user_id, first, today.strftime("%Y-%m-%d"))
    return {
        "month": today.strftime("%Y-%m"),
        "calls": sum(int(row.get("calls", 0)) for row in rows),
        "tokens": sum(int(row.get("tokens", 0)) for row in rows),
        "cost": money.nanos_text(sum(int(row.get("cost_nanos", 0)) for row in rows)),
        "currency": pricing.currency(),
    }


def update_user(admin_id: int, user_id: int, changes: dict) -> dict:
    """Applies status/role/ceilings. Disabling takes effect on the user's next request (the authorizer
    reads the user with every session or key). An admin cannot disable or demote themselves, and no
    change may leave the deployment without an active admin (409)."""
    if not changes:
        raise BadRequest(NOTHING_TO_CHANGE)
    if user_id == admin_id and (changes.get("status") == 0 or changes.get("role") == account_items.USER):
        raise Conflict(NOT_YOURSELF)
    for _ in range(CHANGE_TRIES):
        user = user_items.get_user(user_id)
        if user is None:
            raise NotFound(NO_SUCH_USER)
        try:
            account_items.change_account(user, changes)
            break
        except account_items.ChangedMeanwhile:
            continue
        except account_items.LastAdmin as exc:
            raise Conflict(LAST_ADMIN) from exc
    else:
        raise Conflict("The user was changed by another request meanwhile; try again")
    audit.record(audit.USER_CHANGED_BY_ADMIN, user_id, admin_id=admin_id, changes=changes)
    return user_detail(user_id)


def make_admin(username: str) -> dict:
    """The first admin (or any later one), by username or email: the `make admin` command."""
    user = user_items.find_user_by_login(username)
    if user is None:
        raise NotFound(f"No user named {username!r}")
    if not account_items.is_active_admin(user):
        changes = {"role": account_items.ADMIN}
        if user.get("status") != account_items.STATUS_ACTIVE:
            changes["status"] = account_items.STATUS_ACTIVE
        account_items.change_account(user, changes)
    return user_views.public_user(user_items.get_user(user["user_id"]))
