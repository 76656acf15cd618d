"""REQUEST authorizer: a valid access token of a live session, or 401.

Deliberately free of Powertools' resolver, pydantic and argon2: it runs before every
protected request, so its cold start is kept to PyJWT + boto3.
"""

from bailian_chat.auth.access import authenticate_with_role
from bailian_chat.errors import Unauthorized


def _bearer_token(event: dict) -> str | None:
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    scheme, _, token = (headers.get("authorization") or "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _any_route_of_this_api(method_arn: str) -> str:
    # arn:aws:execute-api:region:account:api-id/stage/METHOD/path -> .../stage/*/*
    api_arn, _, rest = method_arn.partition("/")
    stage = rest.split("/", 1)[0]
    return f"{api_arn}/{stage}/*/*"


def handler(event: dict, context) -> dict:
    token = _bearer_token(event)
    if token is None:
        raise Exception("Unauthorized")  # API Gateway answers 401 (GatewayResponse UNAUTHORIZED)
    try:
        claims, role = authenticate_with_role(token)
    except Unauthorized:
        raise Exception("Unauthorized") from None
    return {
        "principalId": str(claims.user_id),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": "Allow",
                    "Resource": _any_route_of_this_api(event["methodArn"]),
                }
            ],
        },
        "context": {"user_id": str(claims.user_id), "session_id": claims.session_id, "role": role},
    }
