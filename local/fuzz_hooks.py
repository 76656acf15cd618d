"""Schemathesis hooks of `make fuzz` (loaded through SCHEMATHESIS_HOOKS by local.fuzz).

Protected operations (those with the bearerAuth requirement) carry the fuzz user's access token;
public ones (register, login, refresh, the docs) get only generated data. Logout is fuzzed like
everything else: it revokes the session, the next protected request answers 401, and schemathesis'
reactive re-authentication (retry_on 401) logs in again and replays that request once.

Every HOSTILE_EVERY-th request with a JSON body is sent with a hostile body instead (issue 9,
item 1: a 5000-digit number, arrays nested 20,000 deep, NaN, ...), raw bytes no JSON encoder
would write; each must be a 400, which `not_a_server_error` and the schema checks judge like any
other response. The summary counts them under "<operation> [hostile body]".
"""

import itertools
import os
import threading

import httpx
import schemathesis
from schemathesis.core import NotSet

API = os.environ.get("FUZZ_API_URL", "")
USERNAME = os.environ.get("FUZZ_USERNAME", "")
PASSWORD = os.environ.get("FUZZ_PASSWORD", "")


def is_protected(ctx) -> bool:
    return bool(ctx.operation.definition.raw.get("security"))


@schemathesis.auth(refresh_interval=1800, retry_on=[401]).apply_to(is_protected)
class FuzzUserToken:
    """A fresh login of the fuzz user (cached; re-done after a 401, e.g. after fuzzing logout)."""

    def get(self, case, ctx) -> str:
        response = httpx.post(
            f"{API}/api/auth/login", json={"username": USERNAME, "password": PASSWORD}, timeout=30
        )
        response.raise_for_status()
        return response.json()["data"]["access_token"]

    def set(self, case, data: str, ctx) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


HUGE_NUMBER = "9" * 5000
DEEP = 20_000
HOSTILE_BODIES = (
    '{"username": ' + HUGE_NUMBER + ', "title": "x", "model": "qwen-plus"}',
    '{"temperature": -' + HUGE_NUMBER + "}",
    '{"max_tokens": 0.' + HUGE_NUMBER + "}",
    "[" * DEEP + "]" * DEEP,
    '{"content": ' + "[" * DEEP + "]" * DEEP + "}",
    '{"messages": [' + '{"a": ' * 2000 + "1" + "}" * 2000 + "]}",
    '{"temperature": NaN, "max_tokens": Infinity}',
    '{"temperature": 1e400}',
)
HOSTILE_BYTES = frozenset(body.encode() for body in HOSTILE_BODIES)
HOSTILE_EVERY = 7
_body_calls = itertools.count(1)
_stats_lock = threading.Lock()


def has_json_body(case) -> bool:
    content = (case.operation.definition.raw.get("requestBody") or {}).get("content") or {}
    return "application/json" in content and not isinstance(case.body, NotSet)


@schemathesis.hook
def before_call(context, case, kwargs) -> None:
    """Replaces every HOSTILE_EVERY-th JSON body with the next hostile one (raw bytes)."""
    if not has_json_body(case):
        return
    number = next(_body_calls)
    if number % HOSTILE_EVERY == 0:
        hostile = HOSTILE_BODIES[(number // HOSTILE_EVERY) % len(HOSTILE_BODIES)]
        kwargs["data"] = hostile.encode()


STATS_PATH = os.environ.get("FUZZ_STATS_PATH", "")


@schemathesis.hook
def after_call(context, case, response) -> None:
    """One line per response (operation, status) for local.fuzz's summary."""
    if STATS_PATH:
        hostile = getattr(response.request, "body", None) in HOSTILE_BYTES  # what was really sent
        label = case.operation.label + (" [hostile body]" if hostile else "")
        with _stats_lock, open(STATS_PATH, "a", encoding="utf-8") as stats:
            stats.write(f"{label}\t{response.status_code}\n")
