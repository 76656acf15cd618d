"""What admins change on an account (role, status, spend-limit ceilings), the count of active
admins kept with it, and the user directory admins search.

The count of active admins (role admin and status 1) lives in one counter item that every change
of a role or status updates in the same transaction as the user item, with a condition that the
user is still as read, and, when the change takes an active admin away, that the count is above 1:
two admins demoting each other at once cannot leave none.
"""

from collections.abc import Iterable
from itertools import chain

from bailian_chat.store import dynamodb, keys, queries, transactions, user_list_items
from bailian_chat.store.concurrent_reads import read_concurrently

ADMIN = "admin"
USER = "user"
STATUS_ACTIVE = 1


class LastAdmin(Exception):
    """The change would leave no active admin."""


class ChangedMeanwhile(Exception):
    """The user's role or status is no longer what the change was computed from."""


def role_of(user: dict) -> str:
    return user.get("role") or USER  # users stored before roles existed are users


def is_active_admin(user: dict) -> bool:
    return role_of(user) == ADMIN and user.get("status") == STATUS_ACTIVE


def change_account(user: dict, changes: dict) -> None:
    """Applies `changes` (role, status, daily/monthly_limit_ceiling; None removes a ceiling) to
    `user` as it was read. Raises ChangedMeanwhile if its role or status changed since, LastAdmin
    if it would take the last active admin away."""
    after = {**user, **changes}
    admins_delta = int(is_active_admin(after)) - int(is_active_admin(user))
    moved = "status" in changes and changes["status"] != user.get("status")
    # A status move moves the user list's counts, if the user is in that list: the user as read
    # does not say (the index keys are not returned), so a user not yet listed (stored before the
    # list, not backfilled yet) fails the first try and is changed uncounted in the second.
    for listed in (True, False) if moved else (None,):
        actions = [("user", _user_update(user, changes, listed))]
        if "status" in changes:
            actions.append(("directory", _directory_status(user, changes["status"])))
        if admins_delta:
            actions.append(("admins", _count_admins(admins_delta)))
        if listed:
            actions.append(("counts", user_list_items.status_moved(user.get("status"), changes["status"])))
        try:
            transactions.write(actions)
            return
        except dynamodb.TransactionCancelled as exc:
            failed = transactions.failed(exc, actions)
            if "user" in failed and listed:
                continue
            if "user" in failed:
                raise ChangedMeanwhile() from exc
            if admins_delta < 0 and "admins" in failed:
                raise LastAdmin() from exc
            raise
    raise AssertionError("unreachable")


def _user_update(user: dict, changes: dict, listed: bool | None) -> dict:
    names = {"#role": "role", "#status": "status"}
    values = {":was_role": role_of(user), ":was_status": user.get("status")}
    sets, removes = [], []
    for name, value in changes.items():
        names[f"#{name}"] = name
        if value is None:
            removes.append(f"#{name}")
        else:
            values[f":{name}"] = value
            sets.append(f"#{name} = :{name}")
    expression = " ".join(
        part
        for part in (sets and "SET " + ", ".join(sets), removes and "REMOVE " + ", ".join(removes))
        if part
    )
    role_unchanged = "#role = :was_role" + (
        " OR attribute_not_exists(#role)" if role_of(user) == USER else ""
    )
    return {
        "Update": {
            "Key": dynamodb.key(*keys.user(user["user_id"])),
            "UpdateExpression": expression,
            "ConditionExpression": f"attribute_exists(PK) AND #status = :was_status AND ({role_unchanged})"
            + ("" if listed is None else " AND " + user_list_items.listing_condition(listed)),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": dynamodb.to_values(values),
        }
    }


def _directory_status(user: dict, status: int) -> dict:
    return {
        "Update": {
            "Key": dynamodb.key(*keys.email(user["email"])),
            "UpdateExpression": "SET #status = :status",
            "ConditionExpression": "attribute_exists(PK)",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": dynamodb.to_values({":status": status}),
        }
    }


def _count_admins(delta: int) -> dict:
    condition = {"ConditionExpression": "#value > :one"} if delta < 0 else {}
    values = {":delta": delta, **({":one": 1} if delta < 0 else {})}
    return {
        "Update": {
            "Key": dynamodb.key(*keys.active_admins()),
            "UpdateExpression": "ADD #value :delta",
            "ExpressionAttributeNames": {"#value": "value"},
            "ExpressionAttributeValues": dynamodb.to_values(values),
            **condition,
        }
    }


def active_admin_count() -> int:
    item = dynamodb.get_item(*keys.active_admins(), consistent=True)
    return int(item["value"]) if item else 0


# What a listing reads of every directory entry: enough to count, dedupe and filter them.
ENTRY = ("user_id", "status")


def directory_search(
    prefix: str | None, status: int | None, shown: Iterable[str] = ()
) -> tuple[list[int], dict[int, dict]]:
    """Ids of the users whose username or email starts with `prefix` (lower-case ASCII; None: every
    user), with that status if given, in id order; and the `shown` attributes of those of them
    matched by username (a username entry is the user item itself: GSI1 projects it whole), so they
    need no second read. Both key ranges are read at once (a Query each, following its pages). Costs
    in proportion to the users that match, never the table."""
    reads = [lambda: _entries("u#" + (prefix or ""), {*ENTRY, *shown})]
    if prefix is not None:
        reads.append(lambda: _entries(f"e#{prefix}", ENTRY))
    usernames, *email_ranges = read_concurrently(*reads)

    def matches(entry: dict) -> bool:
        return status is None or entry.get("status") == status

    usernames = [entry for entry in usernames if matches(entry)]
    emails = [entry for entry in chain.from_iterable(email_ranges) if matches(entry)]
    found = {entry["user_id"] for entry in usernames + emails}
    return sorted(found), {entry["user_id"]: entry for entry in usernames} if shown else {}


def _entries(start: str, attributes: Iterable[str]) -> list[dict]:
    names = {f"#a{n}": name for n, name in enumerate(attributes)}
    return queries.query_all(
        "GSI1PK = :dir AND begins_with(GSI1SK, :start)",
        {":dir": keys.USER_DIRECTORY, ":start": start},
        projection=", ".join(names),
        names=names,
        index="GSI1",
    )
