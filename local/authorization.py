"""What API Gateway makes of a Lambda authorizer's answer: allow (with the context handed to the
integration), deny (403), unauthorized (401) or authorizer failure (500)."""

import json
import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Verdict(Enum):
    ALLOW = "allow"
    DENY = "ACCESS_DENIED"  # the values name the gateway response each outcome answers with
    UNAUTHORIZED = "UNAUTHORIZED"
    FAILURE = "AUTHORIZER_FAILURE"


@dataclass(frozen=True)
class AuthorizerDecision:
    verdict: Verdict
    principal_id: str | None = None
    context: dict[str, str] = field(default_factory=dict)
    reason: str = ""  # why it failed, for the gateway log

    def request_context_authorizer(self, latency_ms: int) -> dict[str, Any]:
        """requestContext.authorizer of the integration event."""
        return {**self.context, "principalId": self.principal_id, "integrationLatency": latency_ms}


def unauthorized_error(error_message: str) -> bool:
    """A Lambda authorizer asks for a 401 by failing with exactly this message."""
    return error_message == "Unauthorized"


def decide(result: Any, method_arn: str) -> AuthorizerDecision:
    """Judge a successful authorizer invocation's result against the request's methodArn."""
    if not isinstance(result, dict) or not result.get("principalId"):
        return AuthorizerDecision(Verdict.FAILURE, reason="the result has no principalId")
    policy = result.get("policyDocument")
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), list | dict):
        return AuthorizerDecision(Verdict.FAILURE, reason="the result has no policyDocument.Statement")
    try:
        context = stringify_context(result.get("context") or {})
    except ValueError as error:
        return AuthorizerDecision(Verdict.FAILURE, reason=str(error))
    principal_id = str(result["principalId"])
    if not policy_allows(policy, method_arn):
        return AuthorizerDecision(Verdict.DENY, principal_id, reason="the policy does not allow this method")
    return AuthorizerDecision(Verdict.ALLOW, principal_id, context)


def stringify_context(context: dict[str, Any]) -> dict[str, str]:
    """API Gateway passes context values on as strings; objects and arrays are refused."""
    if not isinstance(context, dict):
        raise ValueError("context must be an object")
    stringified = {}
    for key, value in context.items():
        if isinstance(value, dict | list):
            raise ValueError(f"context.{key} is an object or array; only strings, numbers, booleans")
        if value is not None:
            stringified[key] = value if isinstance(value, str) else json.dumps(value)
    return stringified


def policy_allows(policy: dict[str, Any], method_arn: str) -> bool:
    """IAM evaluation for execute-api:Invoke: an explicit Deny wins, else an Allow is needed."""
    statements = policy["Statement"]
    statements = [statements] if isinstance(statements, dict) else statements
    matching = [s for s in statements if isinstance(s, dict) and _statement_matches(s, method_arn)]
    effects = {statement.get("Effect") for statement in matching}
    return "Allow" in effects and "Deny" not in effects


def _statement_matches(statement: dict[str, Any], method_arn: str) -> bool:
    actions = _as_list(statement.get("Action"))
    resources = _as_list(statement.get("Resource"))
    # IAM action names are case-insensitive, resource ARNs are not.
    return any(_wildcard_match(action, "execute-api:Invoke", re.IGNORECASE) for action in actions) and any(
        _wildcard_match(resource, method_arn) for resource in resources
    )


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value or [] if isinstance(item, str)]


def _wildcard_match(pattern: str, value: str, flags: int = 0) -> bool:
    """IAM wildcards: * any run of characters (newlines too: a path may hold %0A), ? exactly one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags | re.DOTALL) is not None
