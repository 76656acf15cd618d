"""REQUEST authorizer: a valid access token of a live session, or a live API key (`sk-bc-…`),
or 401. An access token's policy allows every route; a key's allows only the routes keys may use
(`auth.callers.KEY_ROUTES`), so API Gateway answers 403 elsewhere (the ACCESS_DENIED gateway
response says why) before any function runs, its body unread.

Deliberately free of Powertools' resolver, pydantic and argon2: it runs before every
protected request, so its cold start is kept to PyJWT + boto3.
"""

from bailian_chat.auth.access import authenticate_api_key, authenticate_with_role
from bailian_chat.auth.api_key_secrets import looks_like_key
from bailian_chat.auth.callers import ACCESS_TOKEN, API_KEY, KEY_ROUTES, spend_limits_context
from bailian_chat.errors import Unauthorized


def _bearer_token(event: dict) -> str | None:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _stage_arn(method_arn: str) -> str:
    # arn:aws:execute-api:region:account:api-id/stage/METHOD/path -> .../stage
    api_arn, _, rest = method_arn.partition("/")
    return f"{api_arn}/{rest.split('/', 1)[0]}"


def _allowed_resources(method_arn: str, auth_type: str) -> list[str] | str:
    stage = _stage_arn(method_arn)
    if auth_type == API_KEY:
        return [f"{stage}/{method}{path}" for method, path in KEY_ROUTES]
    return f"{stage}/*/*"  # any route of this API


def handler(event: dict, context) -> dict:
    token = _bearer_token(event)
    if token is None:
        raise Exception("Unauthorized")  # API Gateway answers 401 (GatewayResponse UNAUTHORIZED)
    try:
        user_id, context = _authenticate(token)
    except Unauthorized:
        raise Exception("Unauthorized") from None
    return {
        "principalId": str(user_id),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": _allowed_resources(event["methodArn"], context["auth_type"]),
                }
            ],
        },
        "context": {"user_id": str(user_id), **context},
    }


def _authenticate(credential: str) -> tuple[int, dict[str, str]]:
    """The caller's user id and the rest of the context the functions get."""
    if looks_like_key(credential):
        user_id, grant, limits = authenticate_api_key(credential)
        return user_id, {"auth_type": API_KEY, **grant.context(), **spend_limits_context(limits)}
    claims, role, limits = authenticate_with_role(credential)
    context = {"auth_type": ACCESS_TOKEN, "session_id": claims.session_id, "role": role}
    return claims.user_id, {**context, **spend_limits_context(limits)}
