"""Usage accounting under concurrency: 200 model calls from 4 users at once (proxy calls and
conversation sends, some failing), then every user's statistics, history totals and per-model
numbers must agree exactly with their logged calls. The call item and its daily rollup are written
in one transaction, and every call of a user on a day and model updates the same rollup item, so
concurrent calls contend on it: nothing may be lost or double-counted.

Each user makes 50 calls, under the stack's 60-a-minute limit, so rate limiting never interferes.
"""

import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx
import pytest

from tests.support.model_client import (
    PROXY_PATH,
    SEND_ENDPOINT,
    ApiUser,
    all_calls,
    chat_body,
    create_conversation,
    messages_of,
    proxy,
    send,
    sign_up,
    statistics_data,
    text_part,
    unique_text,
)

pytestmark = pytest.mark.needs_handlers

USERS = 4
CALLS_PER_USER = 50
PROXY_PER_USER = 30
WORKERS = 16
PROXY_MODELS = ("qwen-plus", "qwen-turbo", "qwen-vl-max-latest")
CONVERSATION_MODELS = ("qwen-max", "qwen-plus", "qwen-turbo")
FAILING_MODEL = "qwen-turbo"


@dataclass(frozen=True)
class Job:
    user: ApiUser
    kind: str  # "proxy" | "send"
    model: str
    text: str
    conversation_id: int | None
    expected_status: int  # the proxy's status, or the reply's (reply_error code) for a send


@dataclass(frozen=True)
class Outcome:
    job: Job
    status: int
    reply_status: int | None
    total_tokens: int | None  # as the proxy answered (None for sends and failures)


def proxy_marker(index: int) -> tuple[str, int]:
    """Every 5th proxy call fails for good (400, not retried); every 7th fails once, then succeeds."""
    if index % 5 == 4:
        return "#fault:400", 400
    if index % 7 == 6:
        return "#fault:503x1", 200
    return "", 200


def jobs_for(user: ApiUser, conversations: dict[str, int]) -> list[Job]:
    """30 proxy calls over three models, then 20 sends over the user's three conversations. The
    sends to FAILING_MODEL's conversation all carry `#fault:400`: concurrent sends to one
    conversation each reply from its newest messages, so only a conversation whose every message
    has the marker fails deterministically."""
    jobs = []
    for index in range(CALLS_PER_USER):
        if index < PROXY_PER_USER:
            marker, status = proxy_marker(index)
            model = PROXY_MODELS[index % len(PROXY_MODELS)]
            text = unique_text(f"user {user.user_id} call {index} {marker}".strip())
            jobs.append(Job(user, "proxy", model, text, None, status))
        else:
            model = CONVERSATION_MODELS[index % len(CONVERSATION_MODELS)]
            marker, status = ("#fault:400", 400) if model == FAILING_MODEL else ("", 200)
            text = unique_text(f"user {user.user_id} send {index} {marker}".strip())
            jobs.append(Job(user, "send", model, text, conversations[model], status))
    return jobs


def run(http: httpx.Client, job: Job) -> Outcome:
    if job.kind == "proxy":
        response = proxy(http, job.user, chat_body(job.text, model=job.model))
        tokens = response.json()["data"]["usage"]["total_tokens"] if response.status_code == 200 else None
        return Outcome(job, response.status_code, None, tokens)
    response = send(http, job.user, job.conversation_id, [text_part(job.text)])
    data = response.json()["data"] if response.status_code == 200 else None
    reply_status = None if data is None else (200 if data["reply"] else data["reply_error"]["code"])
    return Outcome(job, response.status_code, reply_status, None)


@pytest.fixture(scope="module")
def http(stack) -> Iterator[httpx.Client]:
    limits = httpx.Limits(max_connections=WORKERS * 2, max_keepalive_connections=WORKERS)
    with httpx.Client(base_url=stack.base_url, timeout=60, limits=limits) as client:
        yield client


@pytest.fixture(scope="module")
def users(http) -> list[tuple[ApiUser, dict[str, int]]]:
    made = []
    for _ in range(USERS):
        user = sign_up(http, "busy")
        conversations = {
            model: create_conversation(http, user, model)["conversation_id"] for model in CONVERSATION_MODELS
        }
        made.append((user, conversations))
    return made


@pytest.fixture(scope="module")
def outcomes(http, users) -> list[Outcome]:
    jobs = [job for user, conversations in users for job in jobs_for(user, conversations)]
    random.Random(20240301).shuffle(jobs)  # users, kinds and faults interleaved

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(lambda job: run(http, job), jobs))


def test_every_call_was_answered_as_expected(outcomes):
    assert len(outcomes) == USERS * CALLS_PER_USER
    unexpected = [
        (o.job.kind, o.job.text, o.status, o.reply_status)
        for o in outcomes
        if (o.job.kind == "proxy" and o.status != o.job.expected_status)
        or (o.job.kind == "send" and (o.status, o.reply_status) != (200, o.job.expected_status))
    ]
    assert unexpected == []


@pytest.mark.parametrize("index", range(USERS))
def test_each_users_accounting_adds_up(http, users, outcomes, index):
    user, conversations = users[index]
    mine = [o for o in outcomes if o.job.user == user]

    calls, total = all_calls(http, user)
    stats = statistics_data(http, user)

    # History: every call once, none of anyone else's, exact totals.
    assert total == len(calls) == CALLS_PER_USER
    assert len({c["id"] for c in calls}) == CALLS_PER_USER
    assert {c["user_id"] for c in calls} == {user.user_id}
    assert Counter((c["api_endpoint"], c["model_name"], c["status_code"]) for c in calls) == Counter(
        (PROXY_PATH if o.job.kind == "proxy" else SEND_ENDPOINT, o.job.model, o.job.expected_status)
        for o in mine
    )
    assert sorted(c["total_tokens"] for c in calls if c["api_endpoint"] == PROXY_PATH) == sorted(
        o.total_tokens or 0 for o in mine if o.job.kind == "proxy"
    )
    assert all(c["total_tokens"] == 0 for c in calls if c["status_code"] != 200)

    # Statistics: tokens are the logged calls' tokens, in total, per model and per day.
    tokens_by_model: dict[str, int] = defaultdict(int)
    tokens_by_day: dict[str, int] = defaultdict(int)
    for call in calls:
        tokens_by_model[call["model_name"]] += call["total_tokens"]
        tokens_by_day[call["created_at"][:10]] += call["total_tokens"]
    assert stats["total_tokens"] == sum(c["total_tokens"] for c in calls)
    models = {row["model_name"]: row for row in stats["model_statistics"]}
    assert {m: row["token_count"] for m, row in models.items()} == dict(tokens_by_model)
    assert {d["date"]: d["token_count"] for d in stats["daily_statistics"] if d["token_count"]} == dict(
        tokens_by_day
    )

    # Conversations and messages: what the conversations hold (user messages and replies).
    stored = {
        model: messages_of(http, user, cid)["pagination"]["total"] for model, cid in conversations.items()
    }
    sends = Counter(o.job.model for o in mine if o.job.kind == "send")
    replies = Counter(o.job.model for o in mine if o.job.kind == "send" and o.reply_status == 200)
    assert stored == {model: sends[model] + replies[model] for model in conversations}
    assert stats["total_conversations"] == len(conversations)
    assert stats["total_messages"] == sum(stored.values())
    for model in conversations:
        assert (models[model]["conversation_count"], models[model]["message_count"]) == (1, stored[model])
    for model in set(models) - set(conversations):
        assert (models[model]["conversation_count"], models[model]["message_count"]) == (0, 0)

    # The breakdowns add up to the totals.
    for key, total_key in [
        ("conversation_count", "total_conversations"),
        ("message_count", "total_messages"),
        ("token_count", "total_tokens"),
    ]:
        assert sum(row[key] for row in stats["model_statistics"]) == stats[total_key]
        assert sum(row[key] for row in stats["daily_statistics"]) == stats[total_key]
