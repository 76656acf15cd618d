"""Named transaction actions (issue 10.4): a cancellation is read by the name of the action that
failed, so reordering the actions cannot change the error."""

import pytest
from bailian_chat.store import dynamodb, transactions


def cancelled(*reasons: str) -> dynamodb.TransactionCancelled:
    return dynamodb.TransactionCancelled(list(reasons))


def test_failed_names_the_actions_whose_condition_failed_in_any_order():
    actions = [("a", {}), ("b", {}), ("c", {})]

    assert transactions.failed(cancelled("None", "ConditionalCheckFailed", "None"), actions) == {"b"}
    assert transactions.failed(cancelled("None", "None", "ConditionalCheckFailed"), actions[::-1]) == {"a"}
    assert transactions.failed(cancelled("TransactionConflict", "None", "None"), actions) == set()


def test_the_helpers_condition_on_the_item_being_there_or_not(table):
    pair = ("T#1", "T")
    transactions.write([("new", transactions.put_if_absent({"PK": pair[0], "SK": pair[1], "n": 1}))])
    again = [("new", transactions.put_if_absent({"PK": pair[0], "SK": pair[1], "n": 2}))]

    with pytest.raises(dynamodb.TransactionCancelled) as raised:
        transactions.write(again)
    assert transactions.failed(raised.value, again) == {"new"}

    transactions.write([("add", transactions.update_if_exists(pair, "ADD n :one", {":one": 1}))])
    assert dynamodb.get_item(*pair)["n"] == 2
    transactions.write([("gone", transactions.delete_if_present(pair))])
    never = ("T#2", "T")
    missing = [
        ("gone", transactions.delete_if_present(pair)),
        ("add", transactions.update_if_exists(never, "ADD n :one", {":one": 1})),
    ]
    with pytest.raises(dynamodb.TransactionCancelled) as raised:
        transactions.write(missing)
    assert transactions.failed(raised.value, missing) == {"gone", "add"}
    assert dynamodb.get_item(*never) is None  # the update did not create it
