"""A fake REQUEST authorizer: the bearer token names the answer it gives."""


def _policy(effect: str, resource: str) -> dict:
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}
    return {"Version": "2012-10-17", "Statement": [statement]}


def handler(event, context):
    token = (event["headers"].get("Authorization") or "").removeprefix("Bearer ")
    api_arn = event["methodArn"].split("/")[0]
    allow_all = _policy("Allow", f"{api_arn}/*")
    answers = {
        "allow": {
            "principalId": "user-42",
            "policyDocument": allow_all,
            "context": {"user_id": 42, "session_id": "s-1", "admin": False},
        },
        "deny": {"principalId": "user-42", "policyDocument": _policy("Deny", f"{api_arn}/*")},
        "elsewhere": {"principalId": "user-42", "policyDocument": _policy("Allow", f"{api_arn}/*/POST/*")},
        "nested-context": {"principalId": "u", "policyDocument": allow_all, "context": {"a": {"b": 1}}},
        "no-principal": {"policyDocument": allow_all},
    }
    if token == "crash":
        raise ValueError("the authorizer itself is broken")
    if token not in answers:
        raise Exception("Unauthorized")
    return answers[token]
