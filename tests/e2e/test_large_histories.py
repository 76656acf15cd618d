"""Issue 9, item 10, over the local stack: emoji-heavy histories stay readable. Every message as
large as the validator allows, a full page of 100 comes back through the gateway (which fails a
result over Lambda's 6 MB response payload limit with a 502, as Lambda and API Gateway do)."""

import httpx
import pytest

from local.lambda_worker import MAX_RESPONSE_PAYLOAD_BYTES
from tests.support.chat_client import ChatApi, bad_request_message, success_data
from tests.support.large_content import EMOJI, largest_content, text

pytestmark = pytest.mark.needs_handlers

PAGE = 100
# Mostly emoji, with the other characters JSON makes bigger in between.
CHARACTERS = [EMOJI] * 6 + ['"', "\\", "\n", "\u4e2d"]


@pytest.fixture(scope="module")
def full_history(stack, owner) -> tuple[int, list[list[dict]]]:
    with httpx.Client(base_url=stack.base_url, timeout=60) as client:
        chat = ChatApi(client, owner)
        conversation_id = chat.create_ok("emoji")["conversation_id"]
        sent = []
        for index in range(PAGE):
            content = largest_content(CHARACTERS[index % len(CHARACTERS)])
            response = chat.send(conversation_id, {"content": content, "generate": False})
            assert response.status_code == 200, response.text
            sent.append(content)
    return conversation_id, sent


def test_a_full_page_of_the_largest_emoji_messages_is_readable(chat, full_history):
    conversation_id, sent = full_history

    response = chat.history(conversation_id, limit=PAGE)

    data = success_data(response, "Retrieval successful")
    assert [message["content"] for message in data["messages"]] == sent
    assert len(response.content) < MAX_RESPONSE_PAYLOAD_BYTES


def test_the_history_is_utf8_json_not_unicode_escapes(chat, full_history):
    conversation_id, _ = full_history

    response = chat.history(conversation_id, limit=1)

    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert EMOJI.encode() in response.content and b"\\ud83d" not in response.content
    assert len(response.content) < 61_000  # one message of at most 60,000 bytes, and the envelope


def test_an_emoji_message_over_the_size_cap_is_a_400_naming_content(chat, full_history):
    conversation_id, _ = full_history

    response = chat.send(conversation_id, {"content": [text(EMOJI * 20_000)], "generate": False})

    assert bad_request_message(response).startswith("content: is too large")
