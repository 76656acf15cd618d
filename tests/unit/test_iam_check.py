"""tests/support/iam.py, the check every handler's DynamoDB calls go through in the unit tests
(tests/unit/conftest.py): it must fail a call the function's policy does not allow, pass one it
does, and refuse a policy it cannot read rather than count it as a grant."""

import pytest
from bailian_chat.store import dynamodb, keys

from tests.support import iam


def handler_calling(*calls):
    def handler(event, context):
        for call in calls:
            call()
        return {"statusCode": 200}

    return handler


def read_profile() -> None:
    dynamodb.get_item(*keys.user(1))


def write_profile() -> None:
    dynamodb.put_item({**keys.pk_sk(keys.user(1)), "username": "x"})


def test_a_call_the_policy_allows_passes(table):
    assert iam.checked_handler("auth_user", handler_calling(read_profile))({}, None) == {"statusCode": 200}


def test_a_call_the_policy_does_not_allow_fails_the_test(table):
    """auth_user's policy grants GetItem on the table only; the docs function's, nothing."""
    with pytest.raises(AssertionError, match=r"auth_user.s policy .*PutItem"):
        iam.checked_handler("auth_user", handler_calling(read_profile, write_profile))({}, None)
    with pytest.raises(AssertionError, match=r"docs.s policy .*GetItem"):
        iam.checked_handler("docs", handler_calling(read_profile))({}, None)


def test_a_wildcard_resource_covers_indexes_not_the_table():
    assert iam._covers("index/*", "index/GSI1") and iam._covers("table", "table")
    assert not iam._covers("*", "table") and not iam._covers("index/*", "table")


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": {"Fn::GetAtt": "Table.Arn"}},
        {
            "Effect": "Allow",
            "Action": "dynamodb:GetItem",
            "Resource": {"Fn::GetAtt": "Table.Arn"},
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["USER#1"]}},
        },
        {"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": {"Fn::GetAtt": "Table.Arn"}},
    ],
    ids=["deny", "condition", "not-action"],
)
def test_a_statement_it_cannot_read_is_refused_not_counted(tmp_path, statement):
    template = tmp_path / "template.yaml"
    function = {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "functions/x/"}}
    function["Properties"]["Policies"] = [{"Statement": [statement]}]
    template.write_text(f"Resources:\n  XFunction: {function!r}\n")
    with pytest.raises(ValueError, match="cannot read"):
        iam.dynamodb_grants(template)
