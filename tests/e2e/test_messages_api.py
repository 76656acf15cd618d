"""Message endpoints (spec 3.1-3.3) over HTTP: the local gateway, the real handlers, DynamoDB
Local and the fake Bailian server (which answers "Echo: <last user text>").

Messages are sent with `"generate": false` (stored without asking the model) except where a
test is about the reply."""

import time
from datetime import UTC, datetime

import pytest

from tests.support.chat_client import (
    MESSAGE_FIELDS,
    NOT_AUTHENTICATED,
    PAGINATION_FIELDS,
    assert_error,
    assistant_reply,
    bad_request_message,
    success_data,
    text_content,
)
from tests.support.user_shape import ISO_SECONDS_Z

pytestmark = pytest.mark.needs_handlers

MISSING_ID = 2**53 - 1  # valid, never allocated
BAD_IDS = ["abc", "1.5", "0", "-3", str(2**53)]
CONVERSATION_NOT_FOUND = (404, "Conversation does not exist")
MESSAGE_NOT_FOUND = (404, "Message does not exist")
SEND_FIELDS = MESSAGE_FIELDS | {"reply", "reply_error"}
IMAGE = {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}
VIDEO = {"type": "video_url", "video_url": {"url": "http://example.com/clip.mp4"}}


@pytest.fixture
def conversation_id(chat) -> int:
    return chat.create_ok(title="messages", model_name="qwen-vl-max")["conversation_id"]


def seconds(iso: str) -> float:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def text_body(text: str) -> dict:
    return {"content": text_content(text), "generate": False}


def ids(page: dict) -> list[int]:
    return [m["message_id"] for m in page["messages"]]


# ----------------------------------------------------------------------------- send (3.1)


def test_send_message_returns_the_spec_shape(chat, owner, conversation_id):
    before = int(time.time())

    response = chat.send(conversation_id, text_body("Hello, please introduce yourself"))

    data = success_data(response, "Send successful")
    assert set(data) == SEND_FIELDS
    assert type(data["message_id"]) is int and 0 < data["message_id"] < 2**53
    assert data == {
        "message_id": data["message_id"],
        "conversation_id": conversation_id,
        "user_id": owner.user_id,
        "role": "user",
        "content_type": "text",
        "content": [{"type": "text", "text": "Hello, please introduce yourself"}],
        "status": 1,
        "created_at": data["created_at"],
        "reply": None,
        "reply_error": None,
    }
    assert ISO_SECONDS_Z.match(data["created_at"]), data["created_at"]
    assert before - 1 <= seconds(data["created_at"]) <= time.time() + 1


def test_sent_message_is_in_the_history_as_returned(chat, conversation_id):
    data = chat.send_ok(conversation_id, "remember me")

    history = chat.history_ok(conversation_id)

    assert history["messages"] == [{k: data[k] for k in MESSAGE_FIELDS}]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}], "text"),
        ([IMAGE], "multimodal"),
        ([VIDEO], "multimodal"),
        ([{"type": "text", "text": "what is in these?"}, IMAGE, VIDEO], "multimodal"),
    ],
    ids=["two-texts", "image", "video", "text+image+video"],
)
def test_send_message_content_type_is_text_only_when_all_parts_are_text(
    chat, conversation_id, content, content_type
):
    data = success_data(
        chat.send(conversation_id, {"content": content, "generate": False}), "Send successful"
    )

    assert data["content_type"] == content_type
    assert data["content"] == content


def test_send_message_accepts_the_limits(chat, conversation_id):
    url = "https://example.com/"
    url += "u" * (2048 - len(url))
    twenty = [{"type": "text", "text": f"part {i}"} for i in range(19)] + [
        {"type": "image_url", "image_url": {"url": url}}
    ]

    long_text = chat.send_ok(conversation_id, "x" * 32_000)
    many_parts = chat.send_ok(conversation_id, twenty)

    assert long_text["content"] == [{"type": "text", "text": "x" * 32_000}]
    assert many_parts["content"] == twenty
    assert many_parts["content_type"] == "multimodal"
    assert chat.history_ok(conversation_id)["pagination"]["total"] == 2


def test_send_message_with_several_maximal_text_parts_is_stored(chat, conversation_id):
    """The largest ASCII message (60,000 bytes as a history page holds it, issue 9): one full part
    of 32,000 characters and one of 27,931."""
    content = [{"type": "text", "text": "a" * 32_000}, {"type": "text", "text": "b" * 27_931}]

    response = chat.send(conversation_id, {"content": content, "generate": False})

    data = success_data(response, "Send successful")
    assert data["content"] == content
    assert chat.history_ok(conversation_id)["messages"][0]["content"] == content


def test_send_message_too_large_for_one_item_is_400_and_stores_nothing(chat, conversation_id):
    content = [{"type": "text", "text": "z" * 32_000}] * 10  # each part valid, ~320 KB together

    response = chat.send(conversation_id, {"content": content, "generate": False})

    assert bad_request_message(response).startswith("content: is too large")
    assert chat.history_ok(conversation_id)["pagination"]["total"] == 0


def _part(**fields) -> dict:
    return fields


# Each rule is checked in unit/test_chat_validation.py; over HTTP, one case per kind of refusal
# (body, part, not an object) shows the handler answers 400 before it stores anything.
@pytest.mark.parametrize(
    ("body", "message_start"),
    [
        ({}, "content: is required"),
        ({"content": [_part(type="text", text="x" * 32_001)]}, "content.0.text: "),
        ([{"type": "text", "text": "hi"}], "Request body must be a JSON object"),
    ],
    ids=["no-content", "text-32001", "array-body"],
)
def test_send_bad_message_is_400_naming_the_field_and_stores_nothing(
    chat, conversation_id, body, message_start
):
    before = success_data(chat.get(conversation_id), "Retrieval successful")

    response = chat.send(conversation_id, body)

    message = bad_request_message(response)
    assert message.startswith(message_start), message
    assert chat.history_ok(conversation_id)["pagination"]["total"] == 0
    assert success_data(chat.get(conversation_id), "Retrieval successful") == before


def test_send_malformed_json_is_400_and_stores_nothing(chat, conversation_id):
    response = chat.send_raw(conversation_id, b'{"content": [{"type": "text", "text": "hi"}]')

    assert bad_request_message(response) == "Malformed JSON in request body"
    assert chat.history_ok(conversation_id)["pagination"]["total"] == 0


def test_send_to_missing_conversation_is_404(chat):
    assert_error(chat.send(MISSING_ID, text_body("anyone?")), *CONVERSATION_NOT_FOUND)


def test_send_to_someone_elses_conversation_is_403_and_stores_nothing(chat, other):
    theirs = other.create_ok(title="theirs")["conversation_id"]

    response = chat.send(theirs, text_body("let me in"))

    assert_error(response, 403, "No permission to send messages in this conversation")
    assert other.history_ok(theirs)["pagination"]["total"] == 0


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_send_with_a_bad_conversation_id_is_400(chat, bad_id):
    response = chat.send(bad_id, text_body("hi"))

    assert bad_request_message(response).startswith("conversation_id: ")


def test_send_with_generation_stores_the_models_reply_in_the_history(chat, owner, conversation_id):
    chat.send_ok(conversation_id, "first, without a reply")

    response = chat.send(conversation_id, {"content": text_content("Who are you?")})

    data = success_data(response, "Send successful")
    assert data["reply_error"] is None
    reply = data["reply"]
    assert reply == assistant_reply(reply, conversation_id, "Echo: Who are you?")
    assert reply["message_id"] > data["message_id"]
    assert ISO_SECONDS_Z.match(reply["created_at"])
    assert reply["created_at"] >= data["created_at"]
    assert data["user_id"] == owner.user_id and data["role"] == "user"
    history = chat.history_ok(conversation_id)
    assert history["pagination"]["total"] == 3
    assert history["messages"][1:] == [{k: data[k] for k in MESSAGE_FIELDS}, reply]


def test_send_with_generation_moves_the_totals_by_two(chat, conversation_id):
    before = chat.history_ok(conversation_id)["pagination"]["total"]

    data = chat.send_ok(conversation_id, "Tell me a joke", generate=True)

    after = chat.history_ok(conversation_id)
    assert after["pagination"]["total"] == before + 2
    assert ids(after)[-2:] == [data["message_id"], data["reply"]["message_id"]]
    assert after["messages"][-1]["role"] == "assistant"
    assert after["messages"][-1]["content"] == [{"type": "text", "text": "Echo: Tell me a joke"}]


# ----------------------------------------------------------------------------- history (3.2)


def test_history_of_a_new_conversation_is_empty(chat, conversation_id):
    data = success_data(chat.history(conversation_id), "Retrieval successful")

    assert data == {
        "messages": [],
        "pagination": {"current_page": 1, "per_page": 20, "total": 0, "total_pages": 0},
    }


def test_history_is_oldest_first_and_pages_exactly(chat, conversation_id):
    sent = [chat.send_ok(conversation_id, f"message {i}")["message_id"] for i in range(21)]

    default = success_data(chat.history(conversation_id), "Retrieval successful")
    second = chat.history_ok(conversation_id, page=2)
    by_seven = [chat.history_ok(conversation_id, page=n, limit=7) for n in (1, 2, 3, 4)]
    far = chat.history_ok(conversation_id, page=99, limit=7)
    everything = chat.history_ok(conversation_id, limit=100)

    assert set(default) == {"messages", "pagination"}
    assert set(default["pagination"]) == PAGINATION_FIELDS
    assert ids(default) == sent[:20]
    assert [m["content"][0]["text"] for m in default["messages"]] == [f"message {i}" for i in range(20)]
    assert default["pagination"] == {"current_page": 1, "per_page": 20, "total": 21, "total_pages": 2}
    assert ids(second) == sent[20:]
    assert second["pagination"] == {"current_page": 2, "per_page": 20, "total": 21, "total_pages": 2}
    assert [ids(page) for page in by_seven] == [sent[0:7], sent[7:14], sent[14:21], []]
    assert [page["pagination"] for page in by_seven] == [
        {"current_page": n, "per_page": 7, "total": 21, "total_pages": 3} for n in (1, 2, 3, 4)
    ]
    assert far == {
        "messages": [],
        "pagination": {"current_page": 99, "per_page": 7, "total": 21, "total_pages": 3},
    }
    assert ids(everything) == sent
    assert everything["pagination"] == {"current_page": 1, "per_page": 100, "total": 21, "total_pages": 1}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"page": 0}, "page"),
        ({"page": -2}, "page"),
        ({"page": "x"}, "page"),
    ],
)
def test_history_with_bad_paging_is_400_naming_the_parameter(chat, conversation_id, params, field):
    assert bad_request_message(chat.history(conversation_id, **params)).startswith(f"{field}: ")


def test_history_of_missing_conversation_is_404(chat):
    assert_error(chat.history(MISSING_ID), *CONVERSATION_NOT_FOUND)


def test_history_of_someone_elses_conversation_is_403(chat, other):
    theirs = other.create_ok()["conversation_id"]
    other.send_ok(theirs, "private words")

    response = chat.history(theirs)

    assert_error(response, 403, "No permission to access messages in this conversation")


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_history_with_a_bad_conversation_id_is_400(chat, bad_id):
    assert bad_request_message(chat.history(bad_id)).startswith("conversation_id: ")


# ----------------------------------------------------------------------------- delete (3.3)


def test_delete_message_removes_it_from_history_and_totals(chat, conversation_id):
    first, second, third = (chat.send_ok(conversation_id, f"m{i}") for i in range(3))

    response = chat.delete_message(second["message_id"])

    assert response.status_code == 200
    assert response.json() == {"code": 200, "message": "Deletion successful", "data": None}
    history = chat.history_ok(conversation_id)
    assert ids(history) == [first["message_id"], third["message_id"]]
    assert history["pagination"] == {"current_page": 1, "per_page": 20, "total": 2, "total_pages": 1}


def test_delete_message_twice_is_404_the_second_time(chat, conversation_id):
    message = chat.send_ok(conversation_id, "once")
    chat.send_ok(conversation_id, "stays")
    assert chat.delete_message(message["message_id"]).status_code == 200

    assert_error(chat.delete_message(message["message_id"]), *MESSAGE_NOT_FOUND)
    assert chat.history_ok(conversation_id)["pagination"]["total"] == 1


def test_delete_missing_message_is_404(chat):
    assert_error(chat.delete_message(MISSING_ID), *MESSAGE_NOT_FOUND)


def test_delete_someone_elses_message_is_403_and_keeps_it(chat, other):
    theirs = other.create_ok()["conversation_id"]
    message = other.send_ok(theirs, "keep me")

    assert_error(chat.delete_message(message["message_id"]), 403, "No permission to delete this message")
    assert ids(other.history_ok(theirs)) == [message["message_id"]]


def test_owner_can_delete_the_assistants_reply(chat, conversation_id):
    data = chat.send_ok(conversation_id, "say something", generate=True)

    response = chat.delete_message(data["reply"]["message_id"])

    assert response.json() == {"code": 200, "message": "Deletion successful", "data": None}
    assert ids(chat.history_ok(conversation_id)) == [data["message_id"]]


@pytest.mark.parametrize("bad_id", BAD_IDS)
def test_delete_message_with_a_bad_id_is_400(chat, bad_id):
    assert bad_request_message(chat.delete_message(bad_id)).startswith("message_id: ")


# ----------------------------------------------------------------------------- authentication


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/conversations/1/messages"),
        ("GET", "/api/conversations/1/messages"),
        ("DELETE", "/api/messages/1"),
    ],
)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Bearer"}],
    ids=["no-token", "garbage-token", "empty-bearer"],
)
def test_message_endpoints_without_a_valid_token_are_401(api, method, path, headers):
    response = api.request(method, path, json=text_body("hi"), headers=headers)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
