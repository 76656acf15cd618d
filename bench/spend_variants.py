"""The proxied model call (POST /api/bailian/chat/completions) with and without what issue 12 adds,
side by side in one run (bench_endpoint_calls calls it): DynamoDB calls, made one after the other
(authorizer + handler), and the handler's median time over RUNS calls, for

- before issue 12: the same code with spend tracking bypassed (no limits read, no reservation,
  no settlement in the call log's transaction), i.e. the call as it was;
- an access token without limits, with a daily limit; an API key without and with a
  monthly_budget (and the user's daily limit); an API key with its own rate limit, without and with
  the user's daily limit.
"""

import contextlib
import copy
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from bench.sample_session import with_authorizer_spend_limits

RUNS = 15
PROXY = "bailian_chat_completions"


@contextlib.contextmanager
def spend_tracking_bypassed() -> Iterator[None]:
    from bailian_chat.usage import model_calls

    real_reserve, real_settle = model_calls.budgets.reserve, model_calls.budgets.settle_actions
    model_calls.budgets.reserve = lambda *_args, **_kwargs: None
    model_calls.budgets.settle_actions = lambda *_args, **_kwargs: []
    try:
        yield
    finally:
        model_calls.budgets.reserve, model_calls.budgets.settle_actions = real_reserve, real_settle


def _with_key(
    authorizer_event: dict, proxy_event: dict, secret: str, authorize: Callable
) -> tuple[dict, dict]:
    """The authorizer event with the key, and the proxy event with the context it answers."""
    auth = copy.deepcopy(authorizer_event)
    auth["headers"]["Authorization"] = f"Bearer {secret}"
    auth["multiValueHeaders"]["Authorization"] = [f"Bearer {secret}"]
    result = authorize(auth)
    event = copy.deepcopy(proxy_event)
    event["requestContext"]["authorizer"] = {**result["context"], "principalId": result["principalId"]}
    event["headers"]["Authorization"] = f"Bearer {secret}"
    event["multiValueHeaders"]["Authorization"] = [f"Bearer {secret}"]
    return auth, event


def measure(
    invoke: Callable[[str, dict], tuple[Any, dict]], authorizer_dir: str, auth: dict, event: dict
) -> dict:
    """Round trips of one call (after a warm-up call) and the handler's median ms over RUNS."""
    answer, authorizer_cost = invoke(authorizer_dir, auth)
    event = with_authorizer_spend_limits(event, answer)
    invoke(PROXY, event)  # warm: first-use writes (a key's last_used_at) and caches
    timings, cost = [], {}
    for _ in range(RUNS):
        result, cost = invoke(PROXY, event)
        if result["statusCode"] != 200:
            raise SystemExit(f"proxied call answered {result['statusCode']}: {result.get('body')}")
        timings.append(cost["ms"])
    return {
        "authorizer": authorizer_cost["handler"],
        "handler": cost["handler"],
        "operations": cost["operations"],
        "authorizer_operations": authorizer_cost["operations"],
        "ms": statistics.median(timings),
    }


def run(invoke, authorizer_dir: str, events: dict, live_auth: dict, user_id: int) -> list[tuple[str, dict]]:
    from bailian_chat.auth import api_keys
    from bailian_chat.auth.api_key_models import CreateApiKeyRequest
    from bailian_chat.store import budget_items

    proxy_event, auth_event = events[PROXY], live_auth

    def authorize(event: dict) -> dict:
        result, _ = invoke(authorizer_dir, event)
        return result

    plain_key = api_keys.create(user_id, CreateApiKeyRequest(name="bench plain"))["key"]
    budget_key = api_keys.create(user_id, CreateApiKeyRequest(name="bench budget", monthly_budget="1000"))[
        "key"
    ]
    rated_key = api_keys.create(user_id, CreateApiKeyRequest(name="bench rated", rate_limit_per_minute=60))[
        "key"
    ]
    results = []

    def variant(label: str, key: str | None = None) -> None:
        """The proxied call with an access token, or with `key`, measured as `label`."""
        called = (auth_event, proxy_event)
        if key is not None:
            called = _with_key(auth_event, proxy_event, key, authorize)
        results.append((label, measure(invoke, authorizer_dir, *called)))

    budget_items.put_limits(user_id, None, None, "2026-01-01T00:00:00Z")
    with spend_tracking_bypassed():
        variant("before issue 12 (access token)")
        variant("before issue 12 (API key)", plain_key)
    variant("access token, no limit")
    variant("API key, no budget", plain_key)
    variant("API key with its own rate limit", rated_key)
    budget_items.put_limits(user_id, "1000", None, "2026-01-01T00:00:00Z")
    variant("access token, daily limit")
    variant("API key with monthly_budget + daily limit", budget_key)
    variant("API key with its own rate limit + daily limit", rated_key)
    budget_items.put_limits(user_id, None, None, "2026-01-01T00:00:00Z")
    return results


def timed(function: Callable, *args) -> tuple[Any, float]:
    started = time.perf_counter()
    return function(*args), (time.perf_counter() - started) * 1000
