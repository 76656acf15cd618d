"""Each function's DynamoDB grants in template.yaml, and the grants a DynamoDB call needs. The unit
tests check every call a function's handler makes against that function's own policy: neither moto
nor DynamoDB Local enforces IAM, so a call a policy forgot would otherwise first fail on AWS."""

import contextvars
import fnmatch
import functools
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from local.template import TEMPLATE_PATH, load_yaml

# (IAM action, "table" or "index/<name>")
type Grant = tuple[str, str]

# The function whose handler is running and what its calls needed beyond its policy (None: a test
# calling the domain directly, which is not checked).
_running: contextvars.ContextVar[tuple[str, list[str]] | None] = contextvars.ContextVar("running")
# A transaction's actions are authorised one by one, as their own operations.
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


@cache
def dynamodb_grants(template_path: Path = TEMPLATE_PATH) -> dict[str, frozenset[Grant]]:
    """Function directory name -> the table and index grants of its policy statements."""
    resources = load_yaml(template_path)["Resources"]
    grants: dict[str, frozenset[Grant]] = {}
    for resource in resources.values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        properties = resource["Properties"]
        found: set[Grant] = set()
        for policy in properties.get("Policies") or []:
            for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
                unread = {"NotAction", "NotResource", "Condition"} & set(statement)
                if unread or statement.get("Effect") != "Allow":  # a grant only as this reads it
                    raise ValueError(f"{properties['CodeUri']}: a statement this check cannot read: {unread}")
                targets = [_table_part(target) for target in _listed(statement["Resource"])]
                found |= {(action, target) for action in _listed(statement["Action"]) for target in targets}
        found = {grant for grant in found if grant[1] is not None}
        grants[properties["CodeUri"].strip("/").split("/")[-1]] = frozenset(found)
    return grants


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _table_part(resource: Any) -> str | None:
    """ "table" for !GetAtt Table.Arn, "index/GSI1" for !Sub "${Table.Arn}/index/GSI1"; None for
    anything else (a secret, a queue)."""
    if resource == {"Fn::GetAtt": "Table.Arn"} or resource == {"Fn::GetAtt": ["Table", "Arn"]}:
        return "table"
    text = resource.get("Fn::Sub") if isinstance(resource, dict) else None
    if isinstance(text, str) and text.startswith("${Table.Arn}/"):
        return text.removeprefix("${Table.Arn}/")
    return None


def needed(operation: str, params: dict) -> set[Grant]:
    """The grants a DynamoDB API call needs."""
    if operation == "TransactWriteItems":
        kinds = {kind for item in params["TransactItems"] for kind in item}
        return {(f"dynamodb:{TRANSACT_ACTIONS[kind]}", "table") for kind in kinds}
    if operation == "TransactGetItems":
        return {("dynamodb:GetItem", "table")}
    index = params.get("IndexName")
    return {(f"dynamodb:{operation}", f"index/{index}" if index else "table")}


def check_call(model, params: dict, **_) -> None:
    """botocore `provide-client-params` handler (the API parameters as given): notes a call the
    running function's policy does not allow (noted, not raised: the function would turn an
    exception into a 500 the test may not look at)."""
    running = _running.get(None)
    if running is None:
        return
    function, violations = running
    grants = dynamodb_grants()[function]
    missing = [
        (action, target)
        for action, target in needed(model.name, params)
        if not any(action == granted and _covers(pattern, target) for granted, pattern in grants)
    ]
    if missing:
        violations.append(f"{model.name} needs {sorted(missing)}")


def _covers(pattern: str, target: str) -> bool:
    """A resource grant covers the table only as the table ("${Table.Arn}/*" does not, in IAM as
    here), an index by name or wildcard ("index/*")."""
    return pattern == target or (pattern.startswith("index/") and fnmatch.fnmatchcase(target, pattern))


def checked_handler(function: str, handler: Callable) -> Callable:
    """`handler` failing the test when it made a DynamoDB call `function`'s policy does not allow."""

    @functools.wraps(handler)
    def run(event, context):
        violations: list[str] = []
        token = _running.set((function, violations))
        try:
            return handler(event, context)
        finally:
            _running.reset(token)
            assert not violations, f"{function}'s policy in template.yaml does not allow: {violations}"

    return run
