"""LangChain's `ChatOpenAI`, unchanged, against the local stack's `/v1` (issue 11): `invoke`,
`stream` and `astream`, with the upstream's exact usage when streamed with `stream_usage=True`."""

import asyncio

import httpx
import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from tests.support.model_client import all_calls, sign_up
from tests.support.openai_api import MODEL, V1_CHAT_PATH, echo, fresh, usage_for, user_says

pytestmark = pytest.mark.needs_handlers


@pytest.fixture(scope="module")
def http(stack):
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        yield client


def chat_model(stack, user, **options) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=stack.base_url + "/v1", api_key=user.access_token, model=MODEL, max_retries=0, **options
    )


def expected_usage_metadata(text: str) -> dict[str, int]:
    usage = usage_for(user_says(text), echo(text))
    return {
        "input_tokens": usage["prompt_tokens"],
        "output_tokens": usage["completion_tokens"],
        "total_tokens": usage["total_tokens"],
    }


def token_fields(metadata) -> dict[str, int]:
    return {key: metadata[key] for key in ("input_tokens", "output_tokens", "total_tokens")}


def test_invoke_answers_an_ai_message_with_usage(stack, http):
    user = sign_up(http, "langchain")
    text = fresh("Hello from LangChain")

    message = chat_model(stack, user).invoke([HumanMessage(text)])

    assert message.content == echo(text)
    assert token_fields(message.usage_metadata) == expected_usage_metadata(text)
    assert message.response_metadata["finish_reason"] == "stop"
    [call] = all_calls(http, user)[0]
    assert (call["api_endpoint"], call["status_code"]) == (V1_CHAT_PATH, 200)


def test_invoke_with_a_system_message_and_a_plain_string(stack, http):
    user = sign_up(http, "langchain")
    text = fresh("just a string")

    message = chat_model(stack, user).invoke([SystemMessage("Be brief."), HumanMessage(text)])

    assert message.content == echo(text)
    assert chat_model(stack, user, temperature=0.2).invoke(text).content == echo(text)


def test_stream_yields_pieces_and_the_exact_usage(stack, http):
    user = sign_up(http, "langchain")
    text = fresh("Stream this through LangChain please")

    chunks = list(chat_model(stack, user, stream_usage=True).stream([HumanMessage(text)]))

    assert all(isinstance(chunk, AIMessageChunk) for chunk in chunks)
    assert len([chunk for chunk in chunks if chunk.content]) > 1  # streamed in pieces
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert whole.content == echo(text)
    assert token_fields(whole.usage_metadata) == expected_usage_metadata(text)
    [call] = all_calls(http, user)[0]
    assert (call["request_tokens"], call["response_tokens"]) == (
        whole.usage_metadata["input_tokens"],
        whole.usage_metadata["output_tokens"],
    )


def test_astream_and_ainvoke(stack, http):
    """One event loop for both: langchain-openai caches its async HTTP client process-wide, so a
    second `asyncio.run` would find pooled connections of a closed loop (a test artefact)."""
    user = sign_up(http, "langchain")
    streamed_text, invoked_text = fresh("async LangChain"), fresh("ainvoke")

    async def run():
        model = chat_model(stack, user, stream_usage=True)
        chunks = [chunk async for chunk in model.astream(streamed_text)]
        return chunks, await model.ainvoke(invoked_text)

    chunks, invoked = asyncio.run(run())

    assert "".join(chunk.content for chunk in chunks) == echo(streamed_text)
    usage = [chunk.usage_metadata for chunk in chunks if chunk.usage_metadata]
    assert [token_fields(u) for u in usage] == [expected_usage_metadata(streamed_text)]
    assert invoked.content == echo(invoked_text)
