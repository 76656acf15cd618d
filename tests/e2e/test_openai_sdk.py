"""The official `openai` Python SDK, unchanged, against the local stack's `/v1` (issue 11): sync and
async clients, streamed and not, models, a tool-call round trip, thinking, and every error status
raising the SDK's own exception class (with its retries working)."""

import asyncio
import time

import httpx
import openai
import pytest

from tests.support.model_client import all_calls, sign_up
from tests.support.openai_api import (
    ALWAYS_THINKING_MODEL,
    BACKEND_ATTEMPTS,
    CURRENT_MODELS,
    CUT_AFTER_MARKER,
    ERROR_AFTER_MARKER,
    MODEL,
    SLOW_MARKER,
    TEXT_ONLY_MODEL,
    TOOL_MARKER,
    V1_CHAT_PATH,
    async_openai_client,
    echo,
    fresh,
    openai_client,
    token_counts,
    usage_for,
    user_says,
)

pytestmark = pytest.mark.needs_handlers

IMAGE_PART = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The current weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def sdk_user(http):
    """One user for the calls whose log this module does not inspect."""
    return sign_up(http, "sdk")


@pytest.fixture(scope="module")
def client(stack, sdk_user):
    with openai_client(stack, sdk_user, max_retries=0) as sdk:
        yield sdk


# ---------------------------------------------------------------- completions


def test_a_completion_is_the_unwrapped_openai_shape(stack, http):
    user = sign_up(http, "sdk")
    text = fresh("Hello, please introduce yourself")
    messages = user_says(text)

    with openai_client(stack, user, max_retries=0) as sdk:
        completion = sdk.chat.completions.create(model=MODEL, messages=messages, temperature=0.3)

    assert completion.object == "chat.completion"
    assert completion.id
    assert completion.model == MODEL
    assert isinstance(completion.created, int)
    [choice] = completion.choices
    assert choice.index == 0
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content == echo(text)  # a string, not the spec proxy's parts
    assert choice.message.tool_calls is None
    usage = usage_for(messages, echo(text))
    assert token_counts(completion.usage) == usage
    [call] = all_calls(http, user)[0]
    assert (call["api_endpoint"], call["status_code"], call["model_name"]) == (V1_CHAT_PATH, 200, MODEL)
    assert (call["request_tokens"], call["response_tokens"], call["total_tokens"]) == tuple(usage.values())


def test_a_stream_yields_chunks_whose_text_is_the_non_streamed_answer(client):
    text = fresh("Tell me a story about a streaming backend")
    whole = client.chat.completions.create(model=MODEL, messages=user_says(text))

    stream = client.chat.completions.create(model=MODEL, messages=user_says(text), stream=True)
    chunks = list(stream)

    assert len(chunks) > 2  # streamed in pieces, not one chunk
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    assert streamed == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(chunk.usage is None for chunk in chunks)  # no usage chunk unless asked


def test_include_usage_adds_a_last_chunk_with_the_upstreams_exact_usage(stack, http):
    user = sign_up(http, "sdk")
    text = fresh("count my tokens")
    messages = user_says(text)

    with openai_client(stack, user, max_retries=0) as sdk:
        stream = sdk.chat.completions.create(
            model=MODEL, messages=messages, stream=True, stream_options={"include_usage": True}
        )
        chunks = list(stream)

    last = chunks[-1]
    assert last.choices == []
    usage = usage_for(messages, echo(text))
    assert token_counts(last.usage) == usage
    assert all(chunk.usage is None for chunk in chunks[:-1])
    [call] = all_calls(http, user)[0]
    assert (call["api_endpoint"], call["status_code"]) == (V1_CHAT_PATH, 200)
    assert (call["request_tokens"], call["response_tokens"], call["total_tokens"]) == tuple(usage.values())
    assert call.get("client_disconnected") is False


def test_a_stream_without_include_usage_is_still_logged_with_exact_usage(stack, http):
    """The backend always asks the upstream for usage, whatever the client asked."""
    user = sign_up(http, "sdk")
    text = fresh("no usage asked")

    with openai_client(stack, user, max_retries=0) as sdk:
        list(sdk.chat.completions.create(model=MODEL, messages=user_says(text), stream=True))

    [call] = all_calls(http, user)[0]
    usage = usage_for(user_says(text), echo(text))
    assert (call["request_tokens"], call["response_tokens"], call["total_tokens"]) == tuple(usage.values())


def test_the_async_client_completes_and_streams(stack, sdk_user):
    text = fresh("async hello")

    async def run() -> tuple[str, list[str], object]:
        async with async_openai_client(stack, sdk_user, max_retries=0) as sdk:
            completion = await sdk.chat.completions.create(model=MODEL, messages=user_says(text))
            stream = await sdk.chat.completions.create(
                model=MODEL,
                messages=user_says(text),
                stream=True,
                stream_options={"include_usage": True},
            )
            pieces, usage = [], None
            async for chunk in stream:
                if chunk.choices:
                    pieces.append(chunk.choices[0].delta.content or "")
                if chunk.usage is not None:
                    usage = chunk.usage
            return completion.choices[0].message.content, pieces, usage

    content, pieces, usage = asyncio.run(run())

    assert content == echo(text)
    assert "".join(pieces) == echo(text)
    assert len([piece for piece in pieces if piece]) > 1
    assert token_counts(usage) == usage_for(user_says(text), echo(text))


def test_parameters_the_sdk_sends_are_accepted(client):
    text = fresh("all the knobs")

    completion = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "system", "content": "Be brief."}, *user_says(text)],
        temperature=0.7,
        top_p=0.9,
        max_completion_tokens=200,
        stop=["\n\n"],
        seed=7,
        presence_penalty=0.1,
        frequency_penalty=0.1,
        user="someone",
        parallel_tool_calls=False,
        response_format={"type": "text"},
        extra_body={"some_future_field": {"x": 1}},  # unknown top-level fields are ignored
    )

    assert completion.choices[0].message.content == echo(text)


def test_max_tokens_cuts_the_answer(client):
    completion = client.chat.completions.create(
        model=MODEL, messages=user_says(fresh("a question that deserves a long answer")), max_tokens=3
    )

    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens == 3


@pytest.mark.parametrize("model", CURRENT_MODELS)
def test_current_models_are_accepted(client, model):
    text = fresh("which model are you")

    completion = client.chat.completions.create(model=model, messages=user_says(text))

    assert completion.model == model
    assert completion.choices[0].message.content == echo(text)


# ---------------------------------------------------------------- models


def test_models_list_names_the_configured_models(client):
    models = client.models.list()

    ids = [model.id for model in models]
    assert {"qwen-plus", "qwen-max", "qwen-vl-max-latest", *CURRENT_MODELS} <= set(ids)
    assert len(ids) == len(set(ids))
    for model in models:
        assert model.object == "model"
        assert isinstance(model.created, int)
        assert model.owned_by


def test_models_retrieve_answers_one_model(client):
    model = client.models.retrieve("qwen3-max")

    assert (model.id, model.object) == ("qwen3-max", "model")


# ---------------------------------------------------------------- tools and thinking


def tool_round_trip(client, *, stream: bool) -> tuple[list[dict], object]:
    """Asks with a tool and a marker that makes the fake call it; returns the follow-up messages
    (assistant tool call + tool result) and the model's answer to them."""
    text = fresh("What is the weather in Hangzhou? " + TOOL_MARKER.format(name="get_weather"))
    messages = user_says(text)
    if stream:
        chunks = list(
            client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL], stream=True)
        )
        calls: dict[int, dict] = {}
        finish = None
        for chunk in chunks:
            if not chunk.choices:
                continue
            choice = chunk.choices[0]
            finish = choice.finish_reason or finish
            for delta in choice.delta.tool_calls or []:
                call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                call["id"] += delta.id or ""
                if delta.function is not None:
                    call["name"] += delta.function.name or ""
                    call["arguments"] += delta.function.arguments or ""
        assert finish == "tool_calls"
        [call] = calls.values()
        tool_call = {
            "id": call["id"],
            "type": "function",
            "function": {"name": call["name"], "arguments": call["arguments"]},
        }
    else:
        first = client.chat.completions.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
        choice = first.choices[0]
        assert choice.finish_reason == "tool_calls"
        assert choice.message.content is None
        [sdk_call] = choice.message.tool_calls
        tool_call = sdk_call.model_dump(exclude_none=True)
    assert tool_call["id"]
    assert tool_call["function"]["name"] == "get_weather"
    assert isinstance(tool_call["function"]["arguments"], str)

    follow_up = [
        *messages,
        {"role": "assistant", "content": None, "tool_calls": [tool_call]},
        {"role": "tool", "tool_call_id": tool_call["id"], "content": '{"temperature_c": 21}'},
    ]
    answer = client.chat.completions.create(model=MODEL, messages=follow_up, tools=[WEATHER_TOOL])
    return follow_up, answer


@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
def test_a_tool_call_round_trip(client, stream):
    _messages, answer = tool_round_trip(client, stream=stream)

    choice = answer.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.content == 'Tool result: {"temperature_c": 21}'  # the fake reads the result
    assert choice.message.tool_calls is None


def test_thinking_gives_reasoning_content_in_the_message_and_the_deltas(client):
    text = fresh("think about it")

    completion = client.chat.completions.create(
        model=MODEL, messages=user_says(text), extra_body={"enable_thinking": True}
    )
    stream = client.chat.completions.create(
        model=MODEL, messages=user_says(text), stream=True, extra_body={"enable_thinking": True}
    )
    deltas = [chunk.choices[0].delta for chunk in stream if chunk.choices]

    message = completion.choices[0].message
    assert message.content == echo(text)
    reasoning = getattr(message, "reasoning_content", None) or message.model_extra.get("reasoning_content")
    assert isinstance(reasoning, str) and reasoning
    streamed_reasoning = "".join(delta.model_extra.get("reasoning_content") or "" for delta in deltas)
    assert streamed_reasoning == reasoning
    assert "".join(delta.content or "" for delta in deltas) == echo(text)
    # Reasoning comes before the answer.
    first_content = next(i for i, delta in enumerate(deltas) if delta.content)
    last_reasoning = max(i for i, delta in enumerate(deltas) if delta.model_extra.get("reasoning_content"))
    assert last_reasoning < first_content


def test_a_model_that_always_thinks_gives_reasoning_without_asking(client):
    completion = client.chat.completions.create(model=ALWAYS_THINKING_MODEL, messages=user_says(fresh("q")))

    assert completion.choices[0].message.model_extra.get("reasoning_content")


# ---------------------------------------------------------------- errors raise the SDK's classes


BAD_REQUESTS = [
    pytest.param({"temperature": 2.5}, "temperature", id="temperature>2"),
    pytest.param({"temperature": -1}, "temperature", id="temperature<0"),
    pytest.param({"n": 2}, "n", id="n=2"),
    pytest.param({"model": "gpt-4o"}, "model", id="unknown-model"),
    pytest.param({"messages": [{"role": "robot", "content": "hi"}]}, "messages", id="bad-role"),
    pytest.param({"messages": []}, "messages", id="no-messages"),
]


@pytest.mark.parametrize(("override", "param"), BAD_REQUESTS)
@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
def test_a_bad_request_raises_bad_request_error_naming_the_field(client, override, param, stream):
    arguments = {"model": MODEL, "messages": user_says("hi"), **override}

    with pytest.raises(openai.BadRequestError) as raised:
        response = client.chat.completions.create(**arguments, stream=stream)
        list(response) if stream else None

    assert raised.value.status_code == 400
    assert raised.value.type == "invalid_request_error"
    assert (raised.value.param or "").startswith(param)
    assert raised.value.message


def test_an_image_to_a_text_only_model_is_a_bad_request_naming_the_model(client):
    messages = [{"role": "user", "content": [{"type": "text", "text": "what is this"}, IMAGE_PART]}]

    with pytest.raises(openai.BadRequestError) as raised:
        client.chat.completions.create(model=TEXT_ONLY_MODEL, messages=messages)

    assert TEXT_ONLY_MODEL in raised.value.message


def call_each_route(sdk: openai.OpenAI, route: str, **options) -> None:
    if route == "models":
        sdk.models.list(**options)
    elif route == "stream":
        list(sdk.chat.completions.create(model=MODEL, messages=user_says("hi"), stream=True, **options))
    else:
        sdk.chat.completions.create(model=MODEL, messages=user_says("hi"), **options)


ROUTES = ["completion", "stream", "models"]


@pytest.mark.parametrize("route", ROUTES)
def test_no_token_raises_authentication_error(stack, route):
    no_header = {"Authorization": openai.Omit()}  # the SDK sends no Authorization header at all
    sdk = openai_client(stack, None, api_key="unused", max_retries=0)
    with sdk, pytest.raises(openai.AuthenticationError) as raised:
        call_each_route(sdk, route, extra_headers=no_header)

    assert raised.value.status_code == 401
    assert raised.value.type == "authentication_error"


@pytest.mark.parametrize("route", ROUTES)
def test_a_bad_token_raises_authentication_error(stack, route):
    sdk = openai_client(stack, None, api_key="not-a-token", max_retries=0)
    with sdk, pytest.raises(openai.AuthenticationError) as raised:
        call_each_route(sdk, route)

    assert raised.value.status_code == 401
    assert raised.value.type == "authentication_error"


def test_logout_revokes_the_token_at_once(stack, http):
    user = sign_up(http, "sdk")
    with openai_client(stack, user, max_retries=0) as sdk:
        assert sdk.chat.completions.create(model=MODEL, messages=user_says("before")).choices

        assert http.post("/api/auth/logout", headers=user.headers).status_code == 200

        for route in ROUTES:
            with pytest.raises(openai.AuthenticationError):
                call_each_route(sdk, route)


def test_retrieving_an_unknown_model_raises_not_found_error(client):
    with pytest.raises(openai.NotFoundError) as raised:
        client.models.retrieve("gpt-4o")

    assert raised.value.status_code == 404
    assert raised.value.type == "not_found_error" or raised.value.code == "model_not_found"


def test_an_sdk_feature_we_do_not_serve_raises_not_found_error(client):
    """API Gateway's own 404 (an unknown route) carries OpenAI's error object beside the envelope.
    No /v1 route answers 403 (the authorizer refuses with 401), so PermissionDeniedError has no
    case here."""
    with pytest.raises(openai.NotFoundError) as raised:
        client.embeddings.create(model="text-embedding-v4", input="hello")

    assert raised.value.status_code == 404
    assert raised.value.type == "not_found_error"


def test_exhausting_the_per_user_rate_limit_raises_rate_limit_error(stack, http):
    """RATE_LIMIT_PER_MINUTE (60 in the e2e stack) in a sliding window: call 61 is refused unless
    the first calls already left the window (a slow machine), and Retry-After is when the next slot
    is given back: 60 to 62 s after its call (2-second buckets, tolerance on the safe side)."""
    user = sign_up(http, "sdk")
    refused, sent = None, 0
    with openai_client(stack, user, max_retries=0) as sdk:
        while refused is None and sent < 121:
            sent += 1
            try:
                sdk.chat.completions.create(model=MODEL, messages=user_says("count me"))
            except openai.RateLimitError as error:
                refused = error

    assert refused is not None, "no RateLimitError after 121 calls"
    assert 61 <= sent <= 121
    assert refused.status_code == 429
    assert refused.type == "rate_limit_error"
    assert 1 <= int(refused.response.headers["retry-after"]) <= 62
    # The refused call is no model call.
    assert all_calls(http, user)[1] == sent - 1


@pytest.mark.parametrize("marker", ["#fault:503", "#fault:500"])
@pytest.mark.parametrize("stream", [False, True], ids=["buffered", "streamed"])
def test_an_upstream_failure_raises_internal_server_error(client, marker, stream):
    with pytest.raises(openai.InternalServerError) as raised:
        response = client.chat.completions.create(
            model=MODEL, messages=user_says(fresh(f"please {marker}")), stream=stream
        )
        list(response) if stream else None

    assert raised.value.status_code in (500, 503)
    assert raised.value.type in ("api_error", "service_unavailable")


def test_an_upstream_429_raises_rate_limit_error(client):
    with pytest.raises(openai.RateLimitError) as raised:
        client.chat.completions.create(model=MODEL, messages=user_says(fresh("please #fault:429")))

    assert raised.value.status_code == 429
    assert int(raised.value.response.headers["retry-after"]) >= 1


@pytest.mark.parametrize("kind", ["503", "429"])
def test_the_sdks_own_retry_recovers(stack, http, kind):
    """The fake fails every backend attempt of the first request, so the SDK sees a 503 (or 429)
    and retries by itself; its retry is answered. The log shows both calls."""
    user = sign_up(http, "sdk")
    text = fresh(f"please #fault:{kind}x{BACKEND_ATTEMPTS}")

    with openai_client(stack, user, max_retries=3) as sdk:
        completion = sdk.chat.completions.create(model=MODEL, messages=user_says(text))

    assert completion.choices[0].message.content == echo(text)
    calls, _ = all_calls(http, user)
    statuses = [call["status_code"] for call in reversed(calls)]  # oldest first
    assert statuses[-1] == 200
    assert int(kind) in statuses[:-1]


@pytest.mark.parametrize("marker", [CUT_AFTER_MARKER, ERROR_AFTER_MARKER], ids=["cut", "error-event"])
def test_a_stream_failing_midway_raises_api_error_after_some_chunks(client, marker):
    text = fresh("a long answer " * 4 + marker.format(n=3))
    received = []

    with pytest.raises(openai.APIError) as raised:  # raised while iterating
        for chunk in client.chat.completions.create(model=MODEL, messages=user_says(text), stream=True):
            received.append(chunk)

    assert len(received) >= 1
    assert "".join(c.choices[0].delta.content or "" for c in received if c.choices) != echo(text)
    assert raised.value.message


def test_a_stream_failing_midway_is_logged_with_its_status_and_tokens(stack, http):
    user = sign_up(http, "sdk")
    text = fresh("a long answer " * 4 + CUT_AFTER_MARKER.format(n=3))

    with openai_client(stack, user, max_retries=0) as sdk, pytest.raises(openai.APIError):
        list(sdk.chat.completions.create(model=MODEL, messages=user_says(text), stream=True))

    [call] = all_calls(http, user)[0]
    assert call["api_endpoint"] == V1_CHAT_PATH
    assert call["status_code"] >= 500
    # The connection dropped before the upstream's usage chunk: the tokens are estimated, not 0.
    assert call["request_tokens"] > 0
    assert 3 <= call["response_tokens"] < usage_for(user_says(text), echo(text))["completion_tokens"]
    assert call["total_tokens"] == call["request_tokens"] + call["response_tokens"]


def test_the_first_chunk_arrives_before_the_last_is_written(client):
    """With the fake spacing its chunks, the SDK sees the first one long before the stream ends:
    nothing on the path buffers the whole answer."""
    text = fresh("slowly " + SLOW_MARKER.format(ms=150))
    arrivals = []
    started = time.monotonic()
    for chunk in client.chat.completions.create(model=MODEL, messages=user_says(text), stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic() - started)

    assert len(arrivals) >= 3
    span = arrivals[-1] - arrivals[0]
    assert span >= 0.8 * 0.150 * (len(arrivals) - 1)
