"""Crafting JWTs for negative tests: re-signing a real token's claims with one thing changed."""

import base64
import json
from typing import Any

import jwt

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
