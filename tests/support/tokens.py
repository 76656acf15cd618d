"""Crafting JWTs for negative tests: re-signing a real token's claims with one thing changed."""

import base64
import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from tests.support.environment import JWT_SECRET, OTHER_KEY

REMOVE = object()  # pass as a claim override to drop the claim


def claims_of(token: str) -> dict[str, Any]:
    """A token's claims, without checking anything."""
    return jwt.decode(token, options={"verify_signature": False})


def header_of(token: str) -> dict[str, Any]:
    return jwt.get_unverified_header(token)


def forge(claims: dict[str, Any], key: str, *, algorithm: str = "HS256", **overrides: Any) -> str:
    """`claims` with `overrides` applied (REMOVE drops a claim), signed with `key`."""
    payload = {**claims, **overrides}
    payload = {name: value for name, value in payload.items() if value is not REMOVE}
    return jwt.encode(payload, key, algorithm=algorithm)


def unsigned(claims: dict[str, Any]) -> str:
    """An `alg: none` token carrying `claims` (no signature)."""

    def b64(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def _without(claim: str) -> Callable[[dict[str, Any]], str]:
    return lambda claims: forge(claims, JWT_SECRET, **{claim: REMOVE})


# A genuine token's claims -> a token that must be refused: not signed by our key with HS256, not
# issued by us, expired, or missing a required claim. `@each_forgery` runs a test once per entry.
FORGERIES: dict[str, Callable[[dict[str, Any]], str]] = {
    "alg-none": unsigned,
    "another-key": lambda claims: forge(claims, OTHER_KEY),
    "HS384": lambda claims: forge(claims, JWT_SECRET, algorithm="HS384"),
    "HS512": lambda claims: forge(claims, JWT_SECRET, algorithm="HS512"),
    "another-issuer": lambda claims: forge(claims, JWT_SECRET, iss="someone-else"),
    "expired": lambda claims: forge(claims, JWT_SECRET, exp=int(time.time()) - 60),
    **{f"without-{claim}": _without(claim) for claim in ("sub", "sid", "jti", "typ", "iat", "exp", "iss")},
}
each_forgery = pytest.mark.parametrize("forgery", list(FORGERIES.values()), ids=list(FORGERIES))
