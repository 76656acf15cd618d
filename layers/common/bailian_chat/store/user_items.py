"""User items and the username/email uniqueness items."""

from bailian_chat.store import dynamodb, ids, keys, transactions, user_list_items
from bailian_chat.store.item_types import UserItem
from bailian_chat.text_rules import identifier_key

USERNAME_TAKEN = "username"
EMAIL_TAKEN = "email"


class UserExists(Exception):
    """The username or the email (case-insensitive) is taken; `field` says which."""

    def __init__(self, field: str):
        super().__init__(f"{field} already exists")
        self.field = field


def create_user(profile: dict) -> dict:
    """Stores a new user under a new id and claims its username and email in one transaction
    (race-free)."""
    return ids.write_with_new_id("user", lambda user_id: _create_user(profile, user_id))


def _create_user(profile: dict, user_id: int) -> dict:
    user = {**profile, "user_id": user_id}
    claim = {"user_id": user_id}
    username_entry = {
        "GSI1PK": keys.USER_DIRECTORY,
        "GSI1SK": keys.directory_username(user["username"], user_id),
    }
    email_entry = {
        "GSI1PK": keys.USER_DIRECTORY,
        "GSI1SK": keys.directory_email(user["email"], user_id),
        "status": user["status"],  # a copy, so the directory can filter the email entries by status
    }
    actions = [
        (
            USERNAME_TAKEN,
            transactions.put_if_absent({**keys.pk_sk(keys.username(user["username"])), **claim}),
        ),
        (
            EMAIL_TAKEN,
            transactions.put_if_absent({**keys.pk_sk(keys.email(user["email"])), **claim, **email_entry}),
        ),
        (
            "user",
            transactions.put_if_absent(
                {**keys.pk_sk(keys.user(user_id)), **user, **username_entry, **user_list_items.entry(user_id)}
            ),
        ),
        ("counts", user_list_items.registered(user["status"])),
    ]
    for may_start_counting in (True, False):
        try:
            transactions.write(actions)
            return user
        except dynamodb.TransactionCancelled as exc:
            failed = transactions.failed(exc, actions)
            for taken in (USERNAME_TAKEN, EMAIL_TAKEN):
                if taken in failed:
                    raise UserExists(taken) from exc
            if "user" in failed:
                raise ids.IdTaken() from exc
            if "counts" not in failed or not may_start_counting:
                raise
            user_list_items.start_counting()  # the first registration since the list exists
    raise AssertionError("unreachable")


def get_user(user_id: int) -> UserItem | None:
    return dynamodb.without_keys(dynamodb.get_item(*keys.user(user_id), consistent=True))


def find_user_by_login(identifier: str) -> UserItem | None:
    """Looks a user up by username, or by email when the identifier holds an '@', in the canonical
    form they were claimed in (non-ASCII text names no account: see text_rules)."""
    canonical = identifier_key(identifier)
    if canonical is None:
        return None
    claim_key = keys.email(canonical) if "@" in canonical else keys.username(canonical)
    claim = dynamodb.get_item(*claim_key, consistent=True)  # a just-registered user can log in
    return get_user(claim["user_id"]) if claim else None


def get_users(user_ids: list[int]) -> dict[int, UserItem]:
    """Several users by id (BatchGetItem, 100 at a time); missing ones are absent."""
    found: dict[int, dict] = {}
    for start in range(0, len(user_ids), 100):
        items = dynamodb.get_items([keys.user(user_id) for user_id in user_ids[start : start + 100]])
        for item in items.values():
            user = dynamodb.without_keys(item)
            found[user["user_id"]] = user
    return found


def update_profile(user_id: int, changes: dict) -> dict:
    """Sets the given profile attributes (None clears one); returns the user as it then is."""
    names = {f"#{name}": name for name in changes}
    values = {f":{name}": value for name, value in changes.items()}
    assignments = ", ".join(f"#{name} = :{name}" for name in changes)
    return dynamodb.without_keys(
        dynamodb.update_item(
            *keys.user(user_id),
            f"SET {assignments}",
            values,
            ExpressionAttributeNames=names,
            ConditionExpression="attribute_exists(PK)",
        )
    )


def replace_password_hash(user_id: int, old_hash: str, new_hash: str) -> None:
    """Sets the new hash if the stored one is still `old_hash` (ConditionFailed otherwise: a
    concurrent change won)."""
    dynamodb.update_item(
        *keys.user(user_id),
        "SET password_hash = :new",
        {":new": new_hash, ":old": old_hash},
        ConditionExpression="password_hash = :old",
    )
