"""Schemathesis hooks of `make fuzz` (loaded through SCHEMATHESIS_HOOKS by local.fuzz).

Protected operations (those with the bearerAuth requirement) carry the fuzz user's access token;
public ones (register, login, refresh, the docs) get only generated data. Logout is fuzzed like
everything else: it revokes the session, the next protected request answers 401, and schemathesis'
reactive re-authentication (retry_on 401) logs in again and replays that request once.
"""

import os
import threading

import httpx
import schemathesis

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


STATS_PATH = os.environ.get("FUZZ_STATS_PATH", "")
_stats_lock = threading.Lock()


@schemathesis.hook
def after_call(context, case, response) -> None:
    """One line per response (operation, status) for local.fuzz's summary."""
    if STATS_PATH:
        with _stats_lock, open(STATS_PATH, "a", encoding="utf-8") as stats:
            stats.write(f"{case.operation.label}\t{response.status_code}\n")
