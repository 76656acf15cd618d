"""Races against DynamoDB Local: the guarantees rest on conditional writes and transactions."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from bailian_chat import clock
from bailian_chat.auth import service
from bailian_chat.auth.models import RegisterRequest
from bailian_chat.chat import conversations, messages
from bailian_chat.content import TextPart
from bailian_chat.errors import Conflict, RateLimited
from bailian_chat.paging import PageRequest
from bailian_chat.store import ids, message_items
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

    outcomes = run_concurrently(lambda _: rate_limit.pending_model_call(user_id).take(), 40)

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


def _send_across_users(unique: str, users: int, sends: int) -> tuple[list, dict[int, int]]:
    """`sends` concurrent sends spread over `users` users' conversations; the outcomes and each
    conversation's owner."""
    base = int(unique, 16) % 10**9
    owners = {
        conversations.create(base + u, "qwen-plus", f"ids {u}")["conversation_id"]: base + u
        for u in range(users)
    }
    targets = list(owners.items())

    def send(i: int):
        conversation_id, user_id = targets[i % users]
        return messages.send(user_id, conversation_id, [TextPart(type="text", text=f"send {i}")])[0]

    return run_concurrently(send, sends), owners


def _assert_ids_unique_and_never_reused(outcomes: list, owners: dict[int, int], sends: int) -> None:
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    sent_ids = [message["message_id"] for message in outcomes]
    assert len(set(sent_ids)) == sends
    stored = {}
    for conversation_id, user_id in owners.items():
        page = messages.history(user_id, conversation_id, PageRequest(1, 100))["messages"]
        stored.update({m["message_id"]: (conversation_id, m["content"][0]["text"]) for m in page})
    # Every id names exactly the message its send returned: none was overwritten or given twice.
    assert {m["message_id"]: (m["conversation_id"], m["content"][0]["text"]) for m in outcomes} == stored
    for message_id, (conversation_id, _) in stored.items():
        assert message_items.get_pointer(message_id)["conversation_id"] == conversation_id


def test_200_concurrent_sends_across_4_users_get_unique_ids(unique):
    outcomes, owners = _send_across_users(unique, users=4, sends=200)

    _assert_ids_unique_and_never_reused(outcomes, owners, 200)


def test_ids_that_collide_under_concurrency_are_drawn_again_never_reused(unique, monkeypatch):
    """Every container draws from the same narrow range here: the conditional puts find the taken
    ids and the sends take new ones."""
    space = random.Random(unique)
    lock = threading.Lock()
    offset = (int(unique, 16) % 10**6) * 10_000

    def crowded_id(kind: str) -> int:
        with lock:
            return offset + space.randint(1, 2_000)

    monkeypatch.setattr(ids, "new_id", crowded_id)
    outcomes, owners = _send_across_users(unique, users=4, sends=200)

    _assert_ids_unique_and_never_reused(outcomes, owners, 200)
