"""Issue 9, item 10: any history page the spec allows (limit <= 100) fits Lambda's 6 MB response
payload, measured the way the Python 3.13 runtime serializes the handler's result."""

import json

import pytest
from bailian_chat.api.params import MAX_ID
from bailian_chat.chat.models import SendMessageRequest
from bailian_chat.content import MAX_CONTENT_BYTES, MAX_PARTS, clip_text, page_bytes
from pydantic import ValidationError

from local.lambda_worker import MAX_RESPONSE_PAYLOAD_BYTES, runtime_payload_size
from tests.support.events import LambdaContext, api_event
from tests.support.large_content import EMOJI, largest_content, text

# One character of each kind that JSON makes bigger, plus plain text (other control characters
# are refused in message text: bailian_chat.text_rules).
CHARACTERS = ['"', "\\", "\n", "\r", "\t", EMOJI, "\u4e2d", "a"]


def largest_url_parts() -> list[dict]:
    url = 'https://e.com/"\\' * 200
    parts = [{"type": "image_url", "image_url": {"url": url[:2048]}}] * MAX_PARTS
    while page_bytes(parts) > MAX_CONTENT_BYTES:
        parts = parts[:-1]
    return parts


def worst_contents() -> list[list[dict]]:
    contents = [largest_content(c) for c in CHARACTERS] + [largest_url_parts()]
    for content in contents:  # each one a valid message
        SendMessageRequest.model_validate({"content": content})
    return contents


def worst_page(limit: int = 100) -> dict:
    contents = worst_contents()
    messages = [
        {
            "message_id": MAX_ID,
            "conversation_id": MAX_ID,
            "user_id": MAX_ID,
            "role": "assistant",
            "content_type": "multimodal",
            "content": contents[i % len(contents)],
            "status": 1,
            "created_at": "2026-12-31T23:59:59.999999Z",
        }
        for i in range(limit)
    ]
    pagination = {"current_page": 1_000_000, "per_page": limit, "total": MAX_ID, "total_pages": MAX_ID}
    return {"messages": messages, "pagination": pagination}


def history_result(load_function, monkeypatch, page: dict) -> dict:
    module = load_function("messages_list")
    monkeypatch.setattr(module.messages, "history", lambda *args: page)
    authorizer = {"user_id": str(MAX_ID), "session_id": "s" * 64, "principalId": str(MAX_ID)}
    event = api_event(
        "GET",
        f"/api/conversations/{MAX_ID}/messages",
        headers={"Origin": "https://example.com"},
        authorizer=authorizer,
    )
    event["queryStringParameters"] = {"page": "1000000", "limit": "100"}
    event["multiValueQueryStringParameters"] = {"page": ["1000000"], "limit": ["100"]}
    return module.handler(event, LambdaContext(function_name="messages_list"))


def test_the_worst_page_fits_lambdas_response_payload_limit(load_function, monkeypatch):
    page = worst_page()

    result = history_result(load_function, monkeypatch, page)

    assert result["statusCode"] == 200
    assert json.loads(result["body"])["data"] == page  # nothing lost on the way
    size = runtime_payload_size(result)
    print(f"worst page: {size} bytes of {MAX_RESPONSE_PAYLOAD_BYTES}")
    assert size <= MAX_RESPONSE_PAYLOAD_BYTES, f"{size} bytes"


def test_each_message_takes_what_page_bytes_says(load_function, monkeypatch):
    """The validator's measure is exact: one message more in the page adds its page_bytes plus
    the fixed message fields, whatever characters it holds."""
    sizes = {}
    for content in worst_contents():
        one = worst_page(1)
        one["messages"][0]["content"] = content
        with_content = runtime_payload_size(history_result(load_function, monkeypatch, one))
        one["messages"][0]["content"] = []
        without = runtime_payload_size(history_result(load_function, monkeypatch, one))
        sizes[repr(content[0])[:40]] = (with_content - without, page_bytes(content) - page_bytes([]))

    assert all(measured == predicted for measured, predicted in sizes.values()), sizes


def test_the_body_is_utf8_json_without_unicode_escapes(load_function, monkeypatch):
    page = worst_page(1)
    page["messages"][0]["content"] = [{"type": "text", "text": EMOJI}]

    result = history_result(load_function, monkeypatch, page)

    assert EMOJI in result["body"] and "\\ud83d" not in result["body"]
    assert result["multiValueHeaders"]["Content-Type"] == ["application/json; charset=utf-8"]


@pytest.mark.parametrize("character", CHARACTERS)
def test_one_character_more_than_the_largest_content_is_rejected(character):
    content = largest_content(character)
    content[-1] = text(content[-1]["text"] + character)

    with pytest.raises(ValidationError):
        SendMessageRequest.model_validate({"content": content})


def test_a_model_reply_is_clipped_to_a_valid_message():
    reply = EMOJI * 40_000

    clipped = clip_text(reply)

    assert reply.startswith(clipped) and page_bytes([{"type": "text", "text": clipped}]) <= MAX_CONTENT_BYTES
    SendMessageRequest.model_validate({"content": [{"type": "text", "text": clipped}]})
    assert clip_text("short reply") == "short reply"


def test_a_long_model_reply_is_stored_as_a_message_a_page_can_hold(table, monkeypatch):
    from types import SimpleNamespace

    from bailian_chat.chat import conversations, messages, replies
    from bailian_chat.usage.model_calls import CallSource

    monkeypatch.setattr(replies, "call_model", lambda *args, **kwargs: SimpleNamespace(text=EMOJI * 40_000))
    conversation = conversations.create(7, "qwen-max", "long replies")
    content = SendMessageRequest.model_validate({"content": [text("Say a lot")]}).content
    asked, target = messages.send(7, conversation["conversation_id"], content)

    reply, reply_error = replies.reply(
        target, asked, CallSource(user_id=7, client_ip="192.0.2.1", api_endpoint="/x")
    )

    assert reply_error is None
    assert page_bytes(reply["content"]) <= MAX_CONTENT_BYTES
    assert reply["content"][0]["text"] == EMOJI * len(reply["content"][0]["text"])  # a clean prefix
