"""Races against DynamoDB Local: the guarantees rest on conditional writes and transactions."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from bailian_chat import clock
from bailian_chat.auth import service
from bailian_chat.auth.models import RegisterRequest
from bailian_chat.chat import conversations, messages
from bailian_chat.content import TextPart
from bailian_chat.errors import Conflict, RateLimited
from bailian_chat.paging import PageRequest
from bailian_chat.usage import rate_limit

pytestmark = pytest.mark.usefixtures("services")
THREADS = 20


def run_concurrently(task, count: int) -> list:
    """Runs task(i) for i in range(count) on THREADS threads; returns results or raised errors."""

    def attempt(i):
        try:
            return task(i)
        except Exception as error:
            return error

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(attempt, range(count)))


def test_the_rate_limit_admits_exactly_the_limit_under_concurrency(monkeypatch, unique):
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "5")
    rate_limit.get_settings.cache_clear()
    monkeypatch.setattr(clock, "now_seconds", lambda: 1_800_000_010.0)  # one instant
    user_id = int(unique, 16) % 10**9

    outcomes = run_concurrently(lambda _: rate_limit.take_model_call(user_id), 40)

    assert sum(outcome is None for outcome in outcomes) == 5
    assert all(isinstance(outcome, RateLimited) for outcome in outcomes if outcome is not None)


def test_concurrent_registrations_of_one_name_store_exactly_one_user(unique):
    def register(i: int):
        name = f"race{unique}" if i % 2 else f"RACE{unique}"  # case-insensitive uniqueness
        request = RegisterRequest(username=name, email=f"r{i}{unique}@example.com", password="password-123")
        return service.register(request)

    outcomes = run_concurrently(register, 30)

    winners = [outcome for outcome in outcomes if isinstance(outcome, dict)]
    assert len(winners) == 1
    assert all(isinstance(outcome, Conflict) for outcome in outcomes if outcome is not winners[0])


def test_concurrent_sends_keep_the_history_total_exact(unique):
    user_id = int(unique, 16) % 10**9
    conversation_id = conversations.create(user_id, "qwen-plus", "race")["conversation_id"]
    parts = [TextPart(type="text", text="hello")]

    outcomes = run_concurrently(lambda _: messages.send(user_id, conversation_id, parts), 40)

    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    history = messages.history(user_id, conversation_id, PageRequest(1, 100))
    assert history["pagination"]["total"] == 40
    assert len(history["messages"]) == 40
    assert len({m["message_id"] for m in history["messages"]}) == 40
