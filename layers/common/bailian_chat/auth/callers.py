"""Who is calling, as the authorizer described them in the request context, and what an API key
may reach: the routes are defined here once, for the authorizer's policy and for the functions'
own check (Powertools and the ASGI edge alike)."""

import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass

from bailian_chat.errors import Forbidden, Unauthorized

ACCESS_TOKEN = "access_token"
API_KEY = "api_key"
ROLE_USER = "user"  # a user stored before roles existed is one
ROLE_ADMIN = "admin"
# (method, resource path) patterns an API key may call; `*` matches anything, "/" included. The
# authorizer's policy for a key allows exactly these (API Gateway answers ACCESS_DENIED elsewhere,
# with the message below), and `authorized_caller` checks them again in the function.
KEY_ROUTES = (("*", "/v1/*"), ("POST", "/api/bailian/chat/completions"), ("GET", "/api/history/*"))
KEY_ROUTES_MESSAGE = (
    "API keys can be used only on /v1/*, POST /api/bailian/chat/completions and "
    "GET /api/history/*; use an access token (POST /api/auth/login) for this route"
)


@dataclass(frozen=True)
class KeyGrant:
    """What the caller's API key allows (None: no limit of the key's own)."""

    key_id: int
    models: tuple[str, ...] | None = None
    rate_limit_per_minute: int | None = None
    monthly_budget: str | None = None  # a decimal string; enforced by the budget layer

    def context(self) -> dict[str, str]:
        """The authorizer context entries that carry it (strings: API Gateway's rule)."""
        entries = {
            "api_key_id": str(self.key_id),
            "key_models": ",".join(self.models) if self.models is not None else None,
            "key_rate_limit": str(self.rate_limit_per_minute) if self.rate_limit_per_minute else None,
            "key_monthly_budget": self.monthly_budget,
        }
        return {name: value for name, value in entries.items() if value is not None}

    @classmethod
    def from_context(cls, authorizer: Mapping) -> "KeyGrant":
        models = authorizer.get("key_models")
        rate_limit = authorizer.get("key_rate_limit")
        return cls(
            key_id=int(authorizer["api_key_id"]),
            models=tuple(models.split(",")) if models is not None else None,
            rate_limit_per_minute=int(rate_limit) if rate_limit else None,
            monthly_budget=authorizer.get("key_monthly_budget") or None,
        )


# The authorizer context entry carrying the user's spend limits, as it read them this request (its
# one BatchGetItem), so a model call does not read them again: a JSON object of decimal strings.
SPEND_LIMITS = "spend_limits"


def spend_limits_context(limits: dict) -> dict[str, str]:
    return {SPEND_LIMITS: json.dumps(limits, separators=(",", ":"), sort_keys=True)}


def _spend_limits(authorizer: Mapping) -> dict | None:
    """The limits the authorizer passed; None when it passed none (then they are read)."""
    raw = authorizer.get(SPEND_LIMITS)
    limits = json.loads(raw) if raw else None
    return limits if isinstance(limits, dict) else None


@dataclass(frozen=True)
class Caller:
    user_id: int
    session_id: str  # "" for an API key: it has no session
    client_ip: str
    api_key: KeyGrant | None = None
    role: str = "user"  # an access token's user's role, read by the authorizer this request
    spend_limits: dict | None = None  # the user's spend limits, read by the authorizer this request

    @property
    def api_key_id(self) -> int | None:
        return self.api_key.key_id if self.api_key else None


def key_may_use(method: str, resource: str) -> bool:
    """The routes an API key reaches: model calls and usage reads, nothing that manages the
    account, its conversations or its keys."""
    return any(
        fnmatch.fnmatchcase(method.upper(), allowed_method) and fnmatch.fnmatchcase(resource, allowed_path)
        for allowed_method, allowed_path in KEY_ROUTES
    )


def authorized_caller(authorizer: Mapping | None, client_ip: str, method: str, resource: str) -> Caller:
    """The caller from the authorizer's context; Unauthorized when it is missing (a request that
    did not pass the authorizer), Forbidden for an API key on a route keys may not use."""
    authorizer = authorizer or {}
    try:
        user_id = int(authorizer["user_id"])
        limits = _spend_limits(authorizer)
        if authorizer.get("auth_type") == API_KEY:
            grant = KeyGrant.from_context(authorizer)
        else:
            role = str(authorizer.get("role") or "user")
            return Caller(user_id, str(authorizer["session_id"]), client_ip, role=role, spend_limits=limits)
    except (KeyError, TypeError, ValueError) as exc:  # JSONDecodeError included
        raise Unauthorized() from exc
    if not key_may_use(method, resource):
        raise Forbidden(KEY_ROUTES_MESSAGE)
    return Caller(user_id, "", client_ip, grant, spend_limits=limits)
