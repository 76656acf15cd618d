"""bailian_chat.usage.model_calls.stream_model against the fake Bailian and a moto table: a streamed
call is logged once, with the upstream's exact usage, whether the client stayed, went away or the
stream broke midway; failures before the stream opens are logged like buffered ones."""

from decimal import Decimal

import pytest
from bailian_chat.bailian import client
from bailian_chat.errors import BadRequest, RateLimited, UpstreamStreamError, UpstreamUnavailable
from bailian_chat.usage import usage_estimates
from bailian_chat.usage.dates import DateRange
from bailian_chat.usage.model_calls import CLOSED_EARLY_STATUS, CallSource, call_model, stream_model
from bailian_chat.usage.statistics import statistics

from tests.unit.test_usage_model_calls import call_items, rollup, tokens

MODEL = "qwen-plus"
USER = 12
V1 = "/v1/chat/completions"


def source() -> CallSource:
    return CallSource(user_id=USER, client_ip="203.0.113.7", api_endpoint=V1)


def payload(text: str, **extra) -> dict:
    return {"model": MODEL, "messages": [{"role": "user", "content": text}], **extra}


def exact_usage(text: str, reply: str) -> tuple[int, int, int]:
    prompt = 4 + tokens(text)
    return prompt, tokens(reply), prompt + tokens(reply)


def logged(item: dict) -> tuple[int, int, int]:
    return item["request_tokens"], item["response_tokens"], item["total_tokens"]


def test_a_stream_read_to_its_end_is_logged_once_with_the_exact_usage(upstream, ddb, get_item):
    stream = stream_model(source(), payload("stream me"))

    chunks = list(stream)
    list(stream)  # iterating again logs nothing more
    stream.close()

    assert stream.text == "Echo: stream me"
    assert stream.finish_reason == "stop"
    assert chunks[-1]["usage"] is not None
    [item] = call_items(ddb, USER)
    assert item["status_code"] == 200
    assert item["api_endpoint"] == V1
    assert item["client_disconnected"] is False
    assert logged(item) == exact_usage("stream me", "Echo: stream me")
    day = item["created_at"][:10]
    assert rollup(get_item, USER, day, MODEL) == {
        "date": day,
        "model_name": MODEL,
        "tokens": item["total_tokens"],
        "calls": 1,
        "cost_nanos": int(Decimal(item["cost"]) * 10**9),
    }
    assert Decimal(item["cost"]) > 0


def test_nothing_is_logged_before_the_stream_ends(upstream, ddb):
    stream = stream_model(source(), payload("not yet"))
    next(stream)

    assert call_items(ddb, USER) == []
    list(stream)
    assert len(call_items(ddb, USER)) == 1


def test_a_client_that_left_is_recorded_and_the_drained_usage_is_exact(upstream, ddb, get_item):
    """The edge marks the disconnect after the first chunk and drains the rest: the log has the
    upstream's usage, the history says the client left, the statistics count the tokens."""
    text = "leave early please #fault:slow:20"
    stream = stream_model(source(), payload(text))
    next(stream)

    stream.mark_client_disconnected()
    for _ in stream:
        pass

    [item] = call_items(ddb, USER)
    assert item["client_disconnected"] is True
    assert item["status_code"] == 200
    assert logged(item) == exact_usage(text, f"Echo: {text}")
    day = item["created_at"][:10]
    assert rollup(get_item, USER, day, MODEL)["tokens"] == item["total_tokens"]
    assert statistics(USER, DateRange(day, day), None)["total_tokens"] == item["total_tokens"]


def test_a_stream_broken_midway_is_logged_with_its_status_and_the_estimated_usage(upstream, ddb):
    request = payload("break #fault:cut-after:3")
    stream = stream_model(source(), request)
    received = []

    with pytest.raises(UpstreamStreamError):
        for chunk in stream:
            received.append(chunk)

    [item] = call_items(ddb, USER)
    assert item["status_code"] == 503
    # The upstream never said what it used: estimated, never logged as free.
    prompt = usage_estimates.prompt_tokens(request)
    completion = usage_estimates.completion_tokens(stream.text, len(received))
    assert prompt > 0 and completion >= len(received) > 0
    assert logged(item) == (prompt, completion, prompt + completion)
    assert item["usage_estimated"] is True
    assert Decimal(item["cost"]) > 0


def test_an_error_event_midway_is_logged_with_the_usage_the_upstream_sent(upstream, ddb):
    text = "fail midway #fault:error-after:3"
    stream = stream_model(source(), payload(text))
    got = []

    with pytest.raises(UpstreamStreamError) as raised:
        for chunk in stream:
            got.append(chunk)

    [item] = call_items(ddb, USER)
    assert item["status_code"] == raised.value.status_code == 503
    sent = "".join(c["choices"][0]["delta"].get("content") or "" for c in got)
    assert logged(item) == exact_usage(text, sent)
    assert item["total_tokens"] > 0
    assert stream.text == sent


@pytest.mark.parametrize(
    ("marker", "error", "status"),
    [("#fault:400", BadRequest, 400), ("#fault:401", UpstreamUnavailable, 503)],
)
def test_a_stream_that_cannot_open_is_logged_and_raised_before_returning(
    upstream, ddb, marker, error, status
):
    with pytest.raises(error):
        stream_model(source(), payload(f"no {marker}"))

    [item] = call_items(ddb, USER)
    assert (item["status_code"], item["total_tokens"], item["client_disconnected"]) == (status, 0, False)


def test_a_rate_limited_stream_is_refused_and_not_logged(upstream, ddb, unit_env, monkeypatch):
    unit_env(RATE_LIMIT_PER_MINUTE="1")
    opened = []
    real = client.stream_chat_completion
    monkeypatch.setattr(client, "stream_chat_completion", lambda *a, **k: opened.append(a) or real(*a, **k))
    list(stream_model(source(), payload("first")))

    with pytest.raises(RateLimited):
        stream_model(source(), payload("second"))
    with pytest.raises(RateLimited):
        call_model(source(), payload("third"))  # streamed and buffered calls share the limit

    assert len(opened) == 1
    assert len(call_items(ddb, USER)) == 1


def test_closing_a_stream_early_logs_it_once_as_closed_early(upstream, ddb):
    stream = stream_model(source(), payload("close me"))
    next(stream)  # the role
    next(stream)  # the first text

    stream.close()
    stream.close()

    assert list(stream) == []
    [item] = call_items(ddb, USER)
    assert item["status_code"] == CLOSED_EARLY_STATUS
    assert item["usage_estimated"] is True
    assert item["request_tokens"] == usage_estimates.prompt_tokens(payload("close me"))
    assert item["response_tokens"] == usage_estimates.completion_tokens(stream.text, 1) >= 1


def test_a_stream_with_the_upstream_usage_is_not_marked_estimated(upstream, ddb):
    list(stream_model(source(), payload("exact")))

    [item] = call_items(ddb, USER)
    assert "usage_estimated" not in item


def test_reasoning_and_tool_calls_are_assembled_from_the_deltas(upstream, ddb):
    thinking = stream_model(source(), payload("why", enable_thinking=True))
    list(thinking)
    assert (thinking.reasoning, thinking.text) == ("Thinking about: why", "Echo: why")

    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    calling = stream_model(source(), payload("find it #tool:lookup", tools=[tool]))
    list(calling)
    [call] = calling.tool_calls
    assert call["function"] == {"name": "lookup", "arguments": '{"text":"find it #tool:lookup"}'}
    assert call["id"].startswith("call_") and call["type"] == "function"
    assert calling.finish_reason == "tool_calls"
    assert calling.text == ""
    assert [item["status_code"] for item in call_items(ddb, USER)] == [200, 200]


def test_a_buffered_call_can_be_read_from_the_stream_for_thinking_only_models(upstream, ddb):
    with pytest.raises(BadRequest, match="only support stream mode"):
        call_model(source(), {"model": "qwq-plus", "messages": [{"role": "user", "content": "hm"}]})

    completion = call_model(
        source(), {"model": "qwq-plus", "messages": [{"role": "user", "content": "hm"}]}, streamed=True
    )

    assert (completion.text, completion.reasoning_text, completion.finish_reason) == (
        "Echo: hm",
        "Thinking about: hm",
        "stop",
    )
    assert completion.message == {
        "role": "assistant",
        "content": "Echo: hm",
        "reasoning_content": "Thinking about: hm",
    }
    assert completion.total_tokens == 4 + tokens("hm") + tokens("Thinking about: hm") + tokens("Echo: hm")
    assert [item["status_code"] for item in call_items(ddb, USER)] == [400, 200]


def test_the_spec_proxy_reads_a_thinking_only_model_from_its_stream(upstream, ddb):
    from bailian_chat.chat import completions
    from bailian_chat.chat.models import ChatCompletionRequest

    request = ChatCompletionRequest.model_validate(
        {"model": "qwq-plus", "messages": [{"role": "user", "content": "hm"}]}
    )

    data = completions.complete(source(), request)

    assert data["choices"][0]["message"]["content"] == [{"type": "text", "text": "Echo: hm"}]
    assert data["usage"]["total_tokens"] == 4 + tokens("hm") + tokens("Thinking about: hm") + tokens(
        "Echo: hm"
    )
    assert [item["status_code"] for item in call_items(ddb, USER)] == [200]
