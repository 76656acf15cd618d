"""HS256 JWTs with the algorithm pinned. Access and refresh tokens differ by the `typ` claim and
are never accepted in each other's place."""

import secrets
import time
from dataclasses import dataclass

import jwt

from bailian_chat.config import get_settings
from bailian_chat.errors import Unauthorized

ALGORITHM = "HS256"
ACCESS = "access"
REFRESH = "refresh"
REQUIRED_CLAIMS = ["sub", "sid", "jti", "typ", "iat", "exp", "iss"]


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    session_id: str
    token_id: str
    token_type: str
    expires_at: int


def _signing_key() -> str:
    settings = get_settings()
    if settings.jwt_secret:
        return settings.jwt_secret
    from bailian_chat.store.secrets import (
        get_secret,  # only in AWS: keeps local imports light
    )

    return get_secret(settings.jwt_secret_arn)


def new_token_id() -> str:
    return secrets.token_urlsafe(18)


def issue(
    user_id: int,
    session_id: str,
    token_type: str,
    expires_at: int,
    token_id: str | None = None,
    issued_at: int | None = None,
) -> str:
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "jti": token_id or new_token_id(),
        "typ": token_type,
        "iat": int(time.time()) if issued_at is None else issued_at,
        "exp": expires_at,
        "iss": get_settings().jwt_issuer,
    }
    return jwt.encode(claims, _signing_key(), algorithm=ALGORITHM)


def verify(token: str, expected_type: str, message: str = "Not authenticated") -> TokenClaims:
    """Decodes and checks signature, algorithm, issuer, expiry and type; Unauthorized otherwise."""
    try:
        claims = jwt.decode(
            token,
            _signing_key(),
            algorithms=[ALGORITHM],
            issuer=get_settings().jwt_issuer,
            options={"require": REQUIRED_CLAIMS},
        )
        if claims["typ"] != expected_type:
            raise Unauthorized(message)
        return TokenClaims(
            user_id=int(claims["sub"]),
            session_id=str(claims["sid"]),
            token_id=str(claims["jti"]),
            token_type=claims["typ"],
            expires_at=int(claims["exp"]),
        )
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise Unauthorized(message) from exc
