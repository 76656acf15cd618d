"""Transactions whose actions have names, so a cancellation is read by name (which action's
condition failed) rather than by position, and the actions written again and again."""

from bailian_chat.store import dynamodb

CONDITION_FAILED = "ConditionalCheckFailed"
CONFLICT = "TransactionConflict"  # another transaction held an item: conflicts that outlasted retries
NOT_EXISTS = "attribute_not_exists(PK)"
EXISTS = "attribute_exists(PK)"

type NamedAction = tuple[str, dict]


class AlsoRefused(Exception):
    """A condition of an action the caller added to a store write's transaction (`also`) failed:
    nothing was written. `cancelled` and `actions` (all of the transaction's) say which."""

    def __init__(self, cancelled: dynamodb.TransactionCancelled, actions: list[NamedAction]):
        super().__init__("an action written with it was refused")
        self.cancelled = cancelled
        self.actions = actions


def write(actions: list[NamedAction]) -> None:
    """TransactWriteItems of the actions, in order (raises dynamodb.TransactionCancelled)."""
    dynamodb.transact_write([action for _, action in actions])


def failed(cancelled: dynamodb.TransactionCancelled, actions: list[NamedAction]) -> set[str]:
    """The names of the actions whose condition failed in a cancelled `write(actions)`."""
    return {
        name
        for (name, _), reason in zip(actions, cancelled.reasons, strict=False)
        if reason == CONDITION_FAILED
    }


def put_if_absent(item: dict) -> dict:
    """Put of a new item (`item` in plain values with its PK and SK); fails if it exists."""
    return {"Put": {"Item": dynamodb.to_item(item), "ConditionExpression": NOT_EXISTS}}


def delete_if_present(pair: tuple[str, str]) -> dict:
    """Delete of an item that must exist."""
    return {"Delete": {"Key": dynamodb.key(*pair), "ConditionExpression": EXISTS}}


def update_if_exists(pair: tuple[str, str], expression: str, values: dict, names: dict | None = None) -> dict:
    """Update of an item that must exist (ADD and SET would otherwise create it)."""
    update = {
        "Key": dynamodb.key(*pair),
        "UpdateExpression": expression,
        "ConditionExpression": EXISTS,
        "ExpressionAttributeValues": dynamodb.to_values(values),
    }
    if names:
        update["ExpressionAttributeNames"] = names
    return {"Update": update}


def count_at_head(
    pair: tuple[str, str],
    deltas: dict[str, int],
    *,
    index: str,
    list_pk: str,
    head_sk: str,
    condition: str | None = None,
    names: dict[str, str] | None = None,
    values: dict | None = None,
) -> dict:
    """Update of a count item: ADD `deltas` (attribute: amount), and SET its `index` keys so that it
    heads the list `list_pk` (`head_sk`: keys.HEAD_OF_*), where one Query reads it with a page.
    `condition`, if given, with its own attribute `names` and `values`."""
    all_names = {"#headpk": f"{index}PK", "#headsk": f"{index}SK", **(names or {})}
    all_values = {":headpk": list_pk, ":headsk": head_sk, **(values or {})}
    for number, (name, delta) in enumerate(deltas.items()):
        all_names[f"#count{number}"] = name
        all_values[f":count{number}"] = delta
    adds = ", ".join(f"#count{number} :count{number}" for number in range(len(deltas)))
    update = {
        "Key": dynamodb.key(*pair),
        "UpdateExpression": f"SET #headpk = :headpk, #headsk = :headsk ADD {adds}",
        "ExpressionAttributeNames": all_names,
        "ExpressionAttributeValues": dynamodb.to_values(all_values),
    }
    if condition:
        update["ConditionExpression"] = condition
    return {"Update": update}
