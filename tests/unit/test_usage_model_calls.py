"""bailian_chat.usage.model_calls.call_model against the fake Bailian and a moto table: every call,
success or failure, leaves one call-log item and its daily rollup, written in one transaction;
rate-limited calls leave nothing."""

import re
import time
from decimal import Decimal

import pytest
from bailian_chat import clock
from bailian_chat.bailian import client
from bailian_chat.errors import BadRequest, RateLimited, UpstreamUnavailable
from bailian_chat.store import dynamodb, ids, keys, model_call_items
from bailian_chat.usage.model_calls import CallSource, call_model
from boto3.dynamodb.types import TypeDeserializer

from tests.support.environment import UNIT_ENV

MODEL = "qwen-plus"
USER = 11
PROXY = "/api/bailian/chat/completions"
SEND = "/api/conversations/{conversation_id}/messages"
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def proxy_source(user_id: int = USER) -> CallSource:
    return CallSource(user_id=user_id, client_ip="203.0.113.5", api_endpoint=PROXY)


def ask(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def tokens(text: str) -> int:
    return -(-len(text) // 4)


def call_items(ddb, user_id: int) -> list[dict]:
    """The user's call-log items, oldest first, as stored (keys included)."""
    response = ddb.query(
        TableName=UNIT_ENV["TABLE_NAME"],
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.api_calls(user_id)}},
        ConsistentRead=True,
    )
    return [dynamodb.from_item(item) for item in response["Items"]]


def rollup(get_item, user_id: int, day: str, model: str) -> dict | None:
    """The rollup's counts and labels (not its keys, nor the item_type the stream filter reads:
    test_rollups_are_marked_for_the_usage_aggregator checks that)."""
    item = get_item(keys.daily_rollup(user_id, day, model))
    return None if item is None else {k: v for k, v in item.items() if k not in ("PK", "SK", "item_type")}


def test_rollups_are_marked_for_the_usage_aggregator(upstream, get_item):
    call_model(proxy_source(), {"model": MODEL, "messages": ask("hello there")})
    day = clock.iso_from_epoch(time.time())[:10]
    assert get_item(keys.daily_rollup(USER, day, MODEL))["item_type"] == "user_daily"


def test_a_successful_call_is_logged_with_its_tokens(upstream, ddb, get_item):
    before_ms = int(time.time() * 1000)

    completion = call_model(proxy_source(), {"model": MODEL, "messages": ask("hello there")})

    after_ms = int(time.time() * 1000)
    assert completion.text == "Echo: hello there"
    prompt, reply = 4 + tokens("hello there"), tokens("Echo: hello there")
    [item] = call_items(ddb, USER)
    call_id, created_ms = item["id"], int(item["SK"].split("#")[0])
    assert before_ms <= created_ms <= after_ms
    assert item == {
        "PK": f"USER#{USER}#CALLS",
        "SK": f"{created_ms:015d}#{call_id:016d}",
        "GSI2PK": f"USER#{USER}#CALLS#{MODEL}",
        "GSI2SK": f"{created_ms:015d}#{call_id:016d}",
        "id": call_id,
        "user_id": USER,
        "model_name": MODEL,
        "api_endpoint": PROXY,
        "status_code": 200,
        "request_tokens": prompt,
        "response_tokens": reply,
        "total_tokens": prompt + reply,
        "call_duration": item["call_duration"],
        "client_ip": "203.0.113.5",
        "client_disconnected": False,
        # qwen-plus, first tier: $0.4 in / $1.2 out per million tokens, exact to 1e-9 USD
        "cost": f"{(Decimal('0.4') * prompt + Decimal('1.2') * reply) / 1_000_000:.9f}",
        "currency": "USD",
        "created_at": clock.iso_from_epoch(created_ms / 1000),
    }
    assert isinstance(call_id, int) and call_id >= 1
    assert 0 <= item["call_duration"] <= after_ms - before_ms
    day = item["created_at"][:10]
    assert rollup(get_item, USER, day, MODEL) == {
        "date": day,
        "model_name": MODEL,
        "tokens": prompt + reply,
        "calls": 1,
        "cost_nanos": int((Decimal("0.4") * prompt + Decimal("1.2") * reply) * 1000),
    }


def test_a_conversation_reply_call_records_the_conversation_and_message(upstream, ddb):
    source = CallSource(
        user_id=USER, client_ip="203.0.113.5", api_endpoint=SEND, conversation_id=31, message_id=57
    )

    call_model(source, {"model": MODEL, "messages": ask("hi")})

    [item] = call_items(ddb, USER)
    assert (item["conversation_id"], item["message_id"], item["api_endpoint"]) == (31, 57, SEND)


@pytest.mark.parametrize(
    ("marker", "error", "status_code"),
    [
        ("#fault:400", BadRequest, 400),
        ("#fault:inspection", BadRequest, 400),
        ("#fault:503", UpstreamUnavailable, 503),
        ("#fault:401", UpstreamUnavailable, 503),
        ("#fault:malformed", UpstreamUnavailable, 503),
        ("#fault:429", RateLimited, 429),
    ],
)
def test_a_failed_call_is_logged_with_its_status_and_no_tokens(
    upstream, ddb, get_item, marker, error, status_code
):
    with pytest.raises(error):
        call_model(proxy_source(), {"model": MODEL, "messages": ask(f"fail {marker}")})

    [item] = call_items(ddb, USER)
    assert item["status_code"] == status_code
    assert (item["request_tokens"], item["response_tokens"], item["total_tokens"]) == (0, 0, 0)
    assert item["call_duration"] >= 0
    day = item["created_at"][:10]
    assert rollup(get_item, USER, day, MODEL) == {
        "date": day,
        "model_name": MODEL,
        "tokens": 0,
        "calls": 1,
        "cost_nanos": 0,  # a call with no usage costs 0
    }
    assert item["cost"] == "0.000000000"


def test_an_unexpected_error_is_logged_as_500_and_raised(upstream, ddb, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("bug in the client")

    monkeypatch.setattr(client, "chat_completion", broken)

    with pytest.raises(RuntimeError, match="bug in the client"):
        call_model(proxy_source(), {"model": MODEL, "messages": ask("hi")})

    [item] = call_items(ddb, USER)
    assert (item["status_code"], item["total_tokens"]) == (500, 0)


def test_a_rate_limited_call_is_not_a_model_call(upstream, ddb, get_item, unit_env, monkeypatch):
    unit_env(RATE_LIMIT_PER_MINUTE="1")
    sent = []
    real = client.chat_completion
    monkeypatch.setattr(client, "chat_completion", lambda *a, **k: sent.append(a) or real(*a, **k))
    call_model(proxy_source(), {"model": MODEL, "messages": ask("first")})

    with pytest.raises(RateLimited) as raised:
        call_model(proxy_source(), {"model": MODEL, "messages": ask("second")})

    # A slot comes back 60-62 s after its call (usage.rate_limit: 2-second buckets).
    assert raised.value.retry_after is not None and 1 <= raised.value.retry_after <= 62
    assert len(sent) == 1
    [item] = call_items(ddb, USER)
    assert rollup(get_item, USER, item["created_at"][:10], MODEL)["calls"] == 1


def test_rollups_add_up_per_day_and_model(upstream, ddb, get_item):
    texts = ["one", "two two", "three three three"]
    for text in texts:
        call_model(proxy_source(), {"model": MODEL, "messages": ask(text)})
    call_model(proxy_source(), {"model": "qwen-turbo", "messages": ask("other model")})
    with pytest.raises(BadRequest):
        call_model(proxy_source(), {"model": MODEL, "messages": ask("#fault:400")})

    items = call_items(ddb, USER)
    assert len(items) == 5
    assert len({item["id"] for item in items}) == 5
    by_model: dict[tuple[str, str], list[dict]] = {}
    for item in items:
        by_model.setdefault((item["created_at"][:10], item["model_name"]), []).append(item)
    for (day, model), logged in by_model.items():
        assert rollup(get_item, USER, day, model) == {
            "date": day,
            "model_name": model,
            "tokens": sum(i["total_tokens"] for i in logged),
            "calls": len(logged),
            "cost_nanos": sum(int(Decimal(i["cost"]) * 10**9) for i in logged),
        }
    assert sum(i["total_tokens"] for i in items) == sum(
        4 + tokens(t) + tokens(f"Echo: {t}") for t in [*texts, "other model"]
    )


def test_the_call_item_and_its_rollup_are_one_transaction(upstream, monkeypatch):
    transactions = []
    real = dynamodb.transact_write
    monkeypatch.setattr(
        dynamodb, "transact_write", lambda actions: transactions.append(actions) or real(actions)
    )
    # Early in a rate-limit item's buckets: the limiter's own write is then one UpdateItem, not a
    # transaction over two items (store.rate_limit_items).
    monkeypatch.setattr(clock, "now_seconds", lambda: 1_796_000_160.0)

    call_model(proxy_source(), {"model": MODEL, "messages": ask("together")})

    [actions] = transactions
    # the call, its id's claim, its rollup, and (issue 12) its cost spent in the user's day and month
    assert [next(iter(action)) for action in actions] == ["Put", "Put", "Update", "Update", "Update"]
    put, claim, update = actions[0]["Put"], actions[1]["Put"], actions[2]["Update"]
    assert put["Item"]["PK"] == {"S": f"USER#{USER}#CALLS"}
    assert put["ConditionExpression"] == "attribute_not_exists(PK)"
    call_id = int(TypeDeserializer().deserialize(put["Item"]["id"]))
    assert claim["Item"]["PK"] == {"S": f"CALLID#{call_id}"}
    assert claim["ConditionExpression"] == "attribute_not_exists(PK)"
    day = TypeDeserializer().deserialize(put["Item"]["created_at"])[:10]
    assert update["Key"] == dynamodb.key(*keys.daily_rollup(USER, day, MODEL))
    assert [action["Update"]["Key"] for action in actions[3:]] == [
        dynamodb.key(*keys.spend_period(USER, f"DAY#{day}")),
        dynamodb.key(*keys.spend_period(USER, f"MONTH#{day[:7]}")),
    ]


def test_no_rollup_is_counted_when_its_call_item_cannot_be_written(table, ddb, get_item, monkeypatch):
    """The transaction is all or nothing: a call item that cannot be put (here its key is taken,
    and every new id is that one) leaves the rollup untouched, and the id is not reused."""
    created_ms, day = 1_700_000_000_000, "2023-11-14"
    first_id = 1
    monkeypatch.setattr(ids, "new_id", lambda kind: first_id)
    ddb.put_item(
        TableName=UNIT_ENV["TABLE_NAME"],
        Item={
            "PK": {"S": keys.api_calls(USER)},
            "SK": {"S": keys.api_call_time(created_ms, first_id)},
        },
    )
    call = {
        "user_id": USER,
        "conversation_id": None,
        "message_id": None,
        "model_name": MODEL,
        "api_endpoint": PROXY,
        "status_code": 200,
        "request_tokens": 5,
        "response_tokens": 2,
        "total_tokens": 7,
        "call_duration": 12,
        "client_ip": "203.0.113.5",
        "created_at": "2023-11-14T22:13:20Z",
    }

    with pytest.raises(ids.IdTaken):
        model_call_items.record_call(call, created_ms, day)

    assert get_item(keys.daily_rollup(USER, day, MODEL)) is None


def test_the_source_carries_the_invocations_remaining_time_less_the_reserve():
    from types import SimpleNamespace

    from bailian_chat.api.app import model_call_source
    from bailian_chat.usage.call_log import AFTER_MODEL_CALL_SECONDS

    event = SimpleNamespace(
        resource="/api/bailian/chat/completions",
        http_method="POST",
        request_context=SimpleNamespace(
            authorizer={"user_id": "7", "session_id": "s"}, identity=SimpleNamespace(source_ip="198.51.100.1")
        ),
    )
    app = SimpleNamespace(
        current_event=event, lambda_context=SimpleNamespace(get_remaining_time_in_millis=lambda: 20_000)
    )

    source = model_call_source(app)

    assert (source.user_id, source.client_ip, source.api_endpoint) == (7, "198.51.100.1", event.resource)
    assert source.time_budget == 20 - AFTER_MODEL_CALL_SECONDS
