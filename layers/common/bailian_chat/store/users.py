"""User items and the username/email uniqueness items."""

from bailian_chat.store import counters, dynamodb, keys
from bailian_chat.text_rules import identifier_key

USERNAME_TAKEN = "username"
EMAIL_TAKEN = "email"


class UserExists(Exception):
    """The username or the email (case-insensitive) is taken; `field` says which."""

    def __init__(self, field: str):
        super().__init__(f"{field} already exists")
        self.field = field


def create_user(profile: dict) -> dict:
    """Stores a new user and claims its username and email in one transaction (race-free)."""
    user_id = counters.next_id("user")
    user = {**profile, "user_id": user_id}
    claim = {"user_id": user_id}
    not_exists = {"ConditionExpression": "attribute_not_exists(PK)"}
    try:
        dynamodb.transact_write(
            [
                {
                    "Put": {
                        "Item": dynamodb.to_item({**keys.pk_sk(keys.username(user["username"])), **claim}),
                        **not_exists,
                    }
                },
                {
                    "Put": {
                        "Item": dynamodb.to_item({**keys.pk_sk(keys.email(user["email"])), **claim}),
                        **not_exists,
                    }
                },
                {
                    "Put": {
                        "Item": dynamodb.to_item({**keys.pk_sk(keys.user(user_id)), **user}),
                        **not_exists,
                    }
                },
            ]
        )
    except dynamodb.TransactionCancelled as exc:
        if exc.reasons[:1] == ["ConditionalCheckFailed"]:
            raise UserExists(USERNAME_TAKEN) from exc
        if exc.reasons[1:2] == ["ConditionalCheckFailed"]:
            raise UserExists(EMAIL_TAKEN) from exc
        raise
    return user


def get_user(user_id: int) -> dict | None:
    return dynamodb.without_keys(dynamodb.get_item(*keys.user(user_id), consistent=True))


def find_user_by_login(identifier: str) -> dict | None:
    """Looks a user up by username, or by email when the identifier holds an '@', in the canonical
    form they were claimed in (non-ASCII text names no account: see text_rules)."""
    canonical = identifier_key(identifier)
    if canonical is None:
        return None
    claim_key = keys.email(canonical) if "@" in canonical else keys.username(canonical)
    claim = dynamodb.get_item(*claim_key, consistent=True)  # a just-registered user can log in
    return get_user(claim["user_id"]) if claim else None


def usernames(user_ids: list[int]) -> dict[int, str]:
    """The usernames of up to 100 users, in one BatchGetItem (deleted users are absent)."""
    if not user_ids:
        return {}
    found = dynamodb.get_items([keys.user(user_id) for user_id in user_ids])
    return {int(item["user_id"]): item.get("username") for item in found.values()}
