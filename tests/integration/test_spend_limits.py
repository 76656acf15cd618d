"""Spend limits under concurrency, against DynamoDB Local: 40 calls at once against a daily limit
that holds about 10 worst cases. Spent never crosses the limit, and every figure agrees to the
last nano-dollar: the costs of 5.1's items, 5.2's total_cost and the budget's spent."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from bailian_chat.errors import BudgetExceeded
from bailian_chat.paging import PageRequest
from bailian_chat.usage import budgets, spend_limits, statistics
from bailian_chat.usage.dates import date_range
from bailian_chat.usage.history import api_call_page
from bailian_chat.usage.model_calls import CallSource, call_model

from local.fake_bailian import serve

pytestmark = pytest.mark.usefixtures("services")
API_KEY = "sk-integration-spend-0123456789"
CALLS = 40
THREADS = 20
# A reply cut at max_tokens, so each call costs about half its worst case (the prompt bound is
# its JSON bytes; the fake counts 4 characters a token).
PAYLOAD = {
    "model": "qwen-plus",
    "messages": [{"role": "user", "content": "Tell me everything you know about budgets, " * 2}],
    "max_tokens": 20,
}


@pytest.fixture
def upstream(monkeypatch):
    with serve("127.0.0.1", 0, API_KEY, access_log=False) as server:
        monkeypatch.setenv("BAILIAN_BASE_URL", server.base_url)
        monkeypatch.setenv("DASHSCOPE_API_KEY", API_KEY)
        yield server


def test_forty_concurrent_calls_never_spend_past_the_daily_limit(upstream, monkeypatch, unique):
    from bailian_chat import config

    worst = budgets.worst_case_cost(PAYLOAD)
    limit = worst * 10
    monkeypatch.setenv("DAILY_SPEND_LIMIT", str(limit))
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "1000")
    config.get_settings.cache_clear()
    user_id = int(unique, 16) % 10**9
    source = CallSource(user_id=user_id, client_ip="203.0.113.40", api_endpoint="/v1/chat/completions")

    def attempt(_):
        try:
            return call_model(source, PAYLOAD)
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        outcomes = list(pool.map(attempt, range(CALLS)))

    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert all(isinstance(o, BudgetExceeded) for o in refused), refused
    admitted = CALLS - len(refused)
    assert admitted >= 10 and refused  # at least the 10 worst cases fit, and the limit did bite

    budget = spend_limits.budget(user_id)["today"]
    spent = Decimal(budget["spent"])
    assert spent <= limit  # spent only grows: it never exceeded the limit
    assert budget["reserved"] == "0.000000000"

    everything = date_range(None, None)
    calls = api_call_page(user_id, PageRequest(page=1, limit=100), None, everything)["api_calls"]
    assert len(calls) == admitted
    logged = sum(Decimal(call["cost"]) for call in calls)
    stats = statistics.statistics(user_id, everything, None)
    assert logged == Decimal(stats["total_cost"]) == spent
    assert stats["currency"] == "USD"
