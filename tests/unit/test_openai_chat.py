"""bailian_chat.chat.openai_chat: OpenAI's chat completions contract (validation with `param`,
unknown fields ignored, the upstream payload) and its use cases against the fake Bailian and moto."""

import json

import pytest
from bailian_chat.chat import openai_chat
from bailian_chat.chat.openai_chat import parse_request, upstream_payload
from bailian_chat.errors import BadRequest, UpstreamStreamError
from bailian_chat.usage.model_calls import CallSource

from tests.unit.test_usage_model_calls import call_items, tokens

MODEL = "qwen-plus"
USER = 21
V1 = "/v1/chat/completions"
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
WEATHER = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object"}},
}


def body(**fields) -> dict:
    return {"model": MODEL, "messages": [{"role": "user", "content": "hi"}], **fields}


def parse(data) -> openai_chat.OpenAIChatRequest:
    return parse_request(json.dumps(data).encode())


def rejected(data) -> BadRequest:
    with pytest.raises(BadRequest) as raised:
        upstream_payload(parse(data))
    assert raised.value.message.startswith(f"{raised.value.param}: ")
    return raised.value


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({"model": 7}, "model"),
        ({"model": ""}, "model"),
        ({"model": "gpt-4o"}, "model"),
        ({"messages": []}, "messages"),
        ({"messages": "hi"}, "messages"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        ({"messages": [{"content": "x"}]}, "messages[0].role"),
        ({"messages": [{"role": "user"}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"messages": [{"role": "user", "content": [{"type": "audio"}]}]}, "messages[0].content[0].type"),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]},
            "messages[0].content[0].text",
        ),
        (
            {
                "messages": [
                    {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x"}}]}
                ]
            },
            "messages[0].content[0].image_url.url",
        ),
        ({"messages": [{"role": "tool", "content": "r"}]}, "messages[0].tool_call_id"),
        (
            {"messages": [{"role": "assistant", "tool_calls": [{"id": "c", "function": {"name": "f"}}]}]},
            "messages[0].tool_calls[0].function.arguments",
        ),
        ({"temperature": 2.5}, "temperature"),
        ({"temperature": "hot"}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"top_p": 1.5}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"max_tokens": 1.5}, "max_tokens"),
        ({"max_completion_tokens": 0}, "max_completion_tokens"),
        ({"stop": 5}, "stop"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"seed": -1}, "seed"),
        ({"presence_penalty": 3}, "presence_penalty"),
        ({"frequency_penalty": -2.5}, "frequency_penalty"),
        ({"response_format": {"type": "xml"}}, "response_format.type"),
        ({"tools": [{"type": "function", "function": {"name": "bad name"}}]}, "tools[0].function.name"),
        ({"tools": [{"type": "retrieval"}]}, "tools[0].type"),
        ({"tool_choice": "maybe"}, "tool_choice"),
        ({"tool_choice": {"type": "function"}}, "tool_choice.function"),
        ({"parallel_tool_calls": "yes"}, "parallel_tool_calls"),
        ({"n": 2}, "n"),
        ({"n": 0}, "n"),
        ({"user": 5}, "user"),
        ({"stream": "yes"}, "stream"),
        ({"stream_options": {"include_usage": "yes"}}, "stream_options.include_usage"),
        ({"enable_thinking": "on"}, "enable_thinking"),
        ({"thinking_budget": 0}, "thinking_budget"),
    ],
)
def test_a_bad_known_field_is_400_naming_it(unit_env, fields, param):
    assert rejected(body(**fields)).param == param


def test_n_other_than_1_says_so():
    assert rejected(body(n=2)).message == "n: only 1 is supported"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", "Malformed JSON in request body"),
        (b"[1]", "Request body must be a JSON object"),
        (b"", None),
        (b'{"model": "qwen-plus", "messages": [], "temperature": NaN}', "Malformed JSON in request body"),
        (b'{"model": "qwen-plus", "seed": 1' + b"0" * 5000 + b"}", "Malformed JSON in request body"),
        (b'{"deep": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "Request body is nested too deeply"),
        (b"\xff\xfe", "Malformed JSON in request body"),
    ],
    ids=["not-json", "array", "empty", "nan", "huge-number", "deep", "not-utf8"],
)
def test_a_body_that_is_not_a_json_object_is_400(raw, message):
    with pytest.raises(BadRequest) as raised:
        parse_request(raw)
    assert message is None or raised.value.message == message


def test_unknown_top_level_fields_are_ignored():
    request = parse(body(logprobs=True, top_logprobs=2, metadata={"a": 1}, store=False, brand_new_field=[1]))

    assert upstream_payload(request) == {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}


def test_known_fields_reach_the_upstream():
    request = parse(
        body(
            temperature=0.2,
            top_p=0.9,
            max_completion_tokens=100,
            stop=["END"],
            seed=42,
            presence_penalty=0.5,
            frequency_penalty=0.1,
            response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
            tools=[WEATHER],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
            parallel_tool_calls=False,
            n=1,
            user="end-user-1",
            enable_thinking=True,
            thinking_budget=50,
        )
    )

    assert upstream_payload(request) == {
        "model": MODEL,
        "messages": [{"role": "user", "content": "hi"}],
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 100,
        "stop": ["END"],
        "seed": 42,
        "presence_penalty": 0.5,
        "frequency_penalty": 0.1,
        "response_format": {"type": "json_schema", "json_schema": {"name": "x", "schema": {}}},
        "tools": [WEATHER],
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "parallel_tool_calls": False,
        "enable_thinking": True,
        "thinking_budget": 50,
    }


def test_tool_round_trip_messages_and_roles_reach_the_upstream():
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
    request = parse(
        body(
            messages=[
                {"role": "developer", "content": "be brief"},
                {
                    "role": "user",
                    "content": [{"type": "text", "text": "weather?"}, {"type": "text", "text": "now"}],
                },
                {"role": "assistant", "content": None, "tool_calls": [call]},
                {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "sunny"}]},
            ],
            tools=[WEATHER],
        )
    )

    assert upstream_payload(request)["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "weather?\nnow"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "content": "sunny", "tool_call_id": "call_1"},
    ]


def test_an_image_part_to_a_text_only_model_is_400_naming_the_model():
    error = rejected(body(messages=[{"role": "user", "content": [{"type": "text", "text": "see"}, IMAGE]}]))

    assert error.param == "messages[0].content[1]"
    assert "model qwen-plus does not accept images" in error.message


def test_an_image_part_to_a_vision_model_goes_as_parts():
    parts = [{"type": "text", "text": "see"}, IMAGE]
    payload = upstream_payload(
        parse(body(model="qwen3-vl-plus", messages=[{"role": "user", "content": parts}]))
    )

    assert payload["messages"] == [{"role": "user", "content": parts}]


@pytest.mark.parametrize(
    ("fields", "param", "says"),
    [
        ({"model": "qwen-vl-max", "tools": [WEATHER]}, "tools", "model qwen-vl-max does not support tools"),
        ({"model": "qwen-max", "enable_thinking": True}, "enable_thinking", "model qwen-max does not think"),
        ({"model": "qwen-max", "max_tokens": 8193}, "max_tokens", "at most 8192 for model qwen-max"),
        ({"model": "qwen-max", "max_completion_tokens": 9000}, "max_completion_tokens", "at most 8192"),
    ],
)
def test_what_the_model_cannot_do_is_400(fields, param, says):
    error = rejected(body(**fields))

    assert error.param == param
    assert says in error.message


def test_an_unconfigured_model_is_400_listing_the_configured_ones(unit_env):
    unit_env(ALLOWED_MODELS="qwen-plus,qwen3-max")

    error = rejected(body(model="qwen-turbo"))

    assert (error.param, error.message) == ("model", "model: must be one of: qwen-plus, qwen3-max")


# ---------------------------------------------------------------- against the fake


def source() -> CallSource:
    return CallSource(user_id=USER, client_ip="203.0.113.8", api_endpoint=V1)


def ask(text: str, **fields) -> openai_chat.OpenAIChatRequest:
    return parse(body(messages=[{"role": "user", "content": text}], **fields))


def test_complete_is_an_unwrapped_chat_completion_with_string_content(upstream, ddb):
    data = openai_chat.complete(source(), ask("hello"))

    prompt, reply = 4 + tokens("hello"), tokens("Echo: hello")
    assert data["object"] == "chat.completion"
    assert data["id"].startswith("chatcmpl-") and data["created"] > 0 and data["model"] == MODEL
    assert data["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Echo: hello"},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ]
    assert data["usage"] == {
        "prompt_tokens": prompt,
        "completion_tokens": reply,
        "total_tokens": prompt + reply,
    }
    [item] = call_items(ddb, USER)
    assert (item["api_endpoint"], item["status_code"], item["total_tokens"]) == (V1, 200, prompt + reply)


def test_complete_carries_reasoning_content_when_the_model_thinks(upstream):
    data = openai_chat.complete(source(), ask("why", enable_thinking=True))

    message = data["choices"][0]["message"]
    assert (message["reasoning_content"], message["content"]) == ("Thinking about: why", "Echo: why")
    assert data["usage"]["completion_tokens_details"] == {"reasoning_tokens": tokens("Thinking about: why")}


def test_a_tool_call_round_trip(upstream, ddb):
    question = "weather in Paris #tool:get_weather"
    first = openai_chat.complete(source(), ask(question, tools=[WEATHER]))

    [choice] = first["choices"]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    [call] = choice["message"]["tool_calls"]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"text": question}

    follow_up = body(
        messages=[
            {"role": "user", "content": question},
            choice["message"],
            {"role": "tool", "tool_call_id": call["id"], "content": "sunny"},
        ],
        tools=[WEATHER],
    )
    second = openai_chat.complete(source(), parse(follow_up))

    assert second["choices"][0]["message"] == {"role": "assistant", "content": "Tool result: sunny"}
    assert [item["status_code"] for item in call_items(ddb, USER)] == [200, 200]


@pytest.mark.parametrize("include_usage", [True, False])
def test_stream_sends_the_usage_chunk_only_when_asked_but_always_logs_it(upstream, ddb, include_usage):
    chunks = list(
        openai_chat.stream(
            source(), ask("stream it", stream=True, stream_options={"include_usage": include_usage})
        )
    )

    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == "Echo: stream it"
    assert (chunks[-1]["choices"] == []) is include_usage
    prompt, reply = 4 + tokens("stream it"), tokens("Echo: stream it")
    if include_usage:
        assert chunks[-1]["usage"]["total_tokens"] == prompt + reply
    [item] = call_items(ddb, USER)
    assert item["total_tokens"] == prompt + reply


def test_a_stream_failing_midway_raises_from_next_after_its_chunks(upstream, ddb):
    chunks = openai_chat.stream(source(), ask("broken #fault:error-after:2", stream=True))
    got = [next(chunks), next(chunks)]

    with pytest.raises(UpstreamStreamError) as raised:
        next(chunks)

    assert len(got) == 2
    [item] = call_items(ddb, USER)
    assert item["status_code"] == raised.value.status_code


def test_a_stream_whose_client_left_is_drained_and_marked(upstream, ddb):
    chunks = openai_chat.stream(source(), ask("bye", stream=True))
    next(chunks)

    chunks.mark_client_disconnected()
    for _ in chunks:
        pass
    chunks.close()

    [item] = call_items(ddb, USER)
    assert item["client_disconnected"] is True
    assert item["total_tokens"] == 4 + tokens("bye") + tokens("Echo: bye")
