"""The message use cases (spec 3.1-3.3) against moto: bailian_chat.chat.messages (send, history,
delete) and replies, with user ids."""

from types import SimpleNamespace

import pytest
from bailian_chat.api.request_body import validation_message
from bailian_chat.chat import conversations, messages, replies
from bailian_chat.chat.models import SendMessageOptions, SendMessageRequest
from bailian_chat.errors import Forbidden, NotFound, UpstreamUnavailable
from bailian_chat.paging import PageRequest
from bailian_chat.store import keys
from bailian_chat.usage.model_calls import CallSource
from pydantic import ValidationError

from tests.support.chat_client import MESSAGE_FIELDS, assistant_reply

ALICE = 101
BOB = 202
MODEL = "qwen-vl-max"


@pytest.fixture
def conversation(table) -> dict:
    return conversations.create(ALICE, MODEL, "Alice's chat")


def parts(*content: dict) -> list:
    return SendMessageRequest.model_validate({"content": list(content)}).content


def text(value: str) -> dict:
    return {"type": "text", "text": value}


def image(url: str = "https://example.com/cat.png") -> dict:
    return {"type": "image_url", "image_url": {"url": url}}


def video(url: str = "https://example.com/clip.mp4") -> dict:
    return {"type": "video_url", "video_url": {"url": url}}


def send_text(conversation_id: int, value: str, user_id: int = ALICE) -> dict:
    return messages.send(user_id, conversation_id, parts(text(value)))[0]


def history(conversation_id: int, number: int = 1, limit: int = 20, user_id: int = ALICE) -> dict:
    return messages.history(user_id, conversation_id, PageRequest(page=number, limit=limit))


def message_ids(page: dict) -> list[int]:
    return [m["message_id"] for m in page["messages"]]


# ----------------------------------------------------------------------------- send (3.1)


def test_send_text_message_returns_exactly_the_spec_fields(conversation, steady_clock):
    message, target = messages.send(ALICE, conversation["conversation_id"], parts(text("Hello")))

    assert set(message) == MESSAGE_FIELDS
    assert type(message["message_id"]) is int and 0 < message["message_id"] < 2**53
    assert message == {
        "message_id": message["message_id"],
        "conversation_id": conversation["conversation_id"],
        "user_id": ALICE,
        "role": "user",
        "content_type": "text",
        "content": [{"type": "text", "text": "Hello"}],
        "status": 1,
        "created_at": "2025-01-01T00:00:00Z",
    }
    assert target["conversation_id"] == conversation["conversation_id"]


def test_send_several_text_parts_is_text_content(conversation):
    message = messages.send(ALICE, conversation["conversation_id"], parts(text("a"), text("b")))[0]

    assert message["content_type"] == "text"
    assert message["content"] == [text("a"), text("b")]


@pytest.mark.parametrize(
    "content",
    [
        [image()],
        [video()],
        [text("what is this?"), image()],
        [text("and this?"), video(), image("http://example.com/dog.jpg")],
    ],
    ids=["image", "video", "text+image", "text+video+image"],
)
def test_send_with_any_media_part_is_multimodal_and_keeps_parts_in_order(conversation, content):
    message = messages.send(ALICE, conversation["conversation_id"], parts(*content))[0]

    assert message["content_type"] == "multimodal"
    assert message["content"] == content
    assert history(conversation["conversation_id"])["messages"] == [message]


def test_send_drops_unknown_fields_of_a_part(conversation):
    noisy = {"type": "text", "text": "hi", "image_url": {"url": "https://example.com/x.png"}, "x": 1}

    message = messages.send(ALICE, conversation["conversation_id"], parts(noisy))[0]

    assert message["content"] == [text("hi")]


def test_send_to_missing_conversation_is_not_found(table):
    with pytest.raises(NotFound) as raised:
        send_text(55555, "hello")

    assert raised.value.message == "Conversation does not exist"


def test_send_to_someone_elses_conversation_is_forbidden_and_stores_nothing(conversation):
    with pytest.raises(Forbidden) as raised:
        send_text(conversation["conversation_id"], "intruding", user_id=BOB)

    assert raised.value.message == "No permission to send messages in this conversation"
    assert history(conversation["conversation_id"])["pagination"]["total"] == 0


def test_send_updates_the_conversations_updated_at(conversation, steady_clock):
    message = send_text(conversation["conversation_id"], "hello")

    assert conversations.get(ALICE, conversation["conversation_id"])["updated_at"] == message["created_at"]


def test_send_message_ids_are_distinct_across_conversations(conversation):
    other = conversations.create(ALICE, MODEL, None)

    first = send_text(conversation["conversation_id"], "one")
    second = send_text(other["conversation_id"], "two")
    third = send_text(conversation["conversation_id"], "three")

    assert first["message_id"] < second["message_id"] < third["message_id"]


@pytest.mark.parametrize(
    ("count", "character"),
    [(10, "a"), (20, "a"), (3, "\N{GRINNING FACE}")],
    ids=["10-parts-of-32000-ascii", "20-parts-of-32000-ascii", "3-parts-of-32000-emoji"],
)
def test_send_rejects_content_too_large_for_one_item(count, character):
    """Every part within its own limits, but together too big for one DynamoDB item (400 KB):
    a 400 naming `content`, not a failed write (500). The cap counts bytes, not characters."""
    body = {"content": [text(character * 32_000)] * count}

    with pytest.raises(ValidationError) as raised:
        SendMessageOptions.model_validate(body)

    assert validation_message(list(raised.value.errors())).startswith("content: is too large")


def test_send_stores_the_largest_content_that_fits_one_item(conversation):
    # 60,000 bytes as a history page holds it (issue 9: 100 of them must fit Lambda's 6 MB).
    largest = [text("a" * 32_000), text("a" * 27_931)]
    content = SendMessageOptions.model_validate({"content": largest}).content

    message = messages.send(ALICE, conversation["conversation_id"], content)[0]

    assert history(conversation["conversation_id"])["messages"] == [message]
    assert message["content"] == largest


# ----------------------------------------------------------------------------- replies


def test_reply_is_stored_as_assistant_message_and_moves_totals_by_two(conversation, monkeypatch):
    asked = []

    def fake_call_model(source, payload, **_options):
        asked.append((source, payload["model"], payload["messages"]))
        return SimpleNamespace(text="I am Qwen.")

    monkeypatch.setattr(replies, "call_model", fake_call_model)
    source = CallSource(user_id=ALICE, client_ip="203.0.113.9", api_endpoint="/x")

    user_message, target = messages.send(ALICE, conversation["conversation_id"], parts(text("Who are you?")))
    reply, reply_error = replies.reply(target, user_message, source)

    assert reply_error is None
    assert reply == assistant_reply(reply, conversation["conversation_id"], "I am Qwen.")
    assert reply["message_id"] > user_message["message_id"]
    page = history(conversation["conversation_id"])
    assert page["messages"] == [user_message, reply]
    assert page["pagination"]["total"] == 2
    (call_source, model, upstream) = asked[0]
    assert model == MODEL
    assert upstream == [{"role": "user", "content": "Who are you?"}]
    assert call_source.conversation_id == conversation["conversation_id"]
    assert call_source.message_id == user_message["message_id"]


def test_reply_failure_keeps_the_users_message_and_reports_the_error(conversation, monkeypatch):
    def failing_call_model(*args, **kwargs):
        raise UpstreamUnavailable()

    monkeypatch.setattr(replies, "call_model", failing_call_model)
    source = CallSource(user_id=ALICE, client_ip="203.0.113.9", api_endpoint="/x")

    user_message, target = messages.send(ALICE, conversation["conversation_id"], parts(text("hello?")))
    reply, reply_error = replies.reply(target, user_message, source)

    assert reply is None
    assert reply_error == {"code": 503, "message": "Bailian API service unavailable"}
    assert history(conversation["conversation_id"])["messages"] == [user_message]


def test_assistant_reply_can_be_deleted_by_the_conversation_owner(conversation, monkeypatch):
    monkeypatch.setattr(replies, "call_model", lambda *a, **k: SimpleNamespace(text="answer"))
    source = CallSource(user_id=ALICE, client_ip="203.0.113.9", api_endpoint="/x")
    user_message, target = messages.send(ALICE, conversation["conversation_id"], parts(text("q")))
    reply, _ = replies.reply(target, user_message, source)

    with pytest.raises(Forbidden):
        messages.delete(BOB, reply["message_id"])
    messages.delete(ALICE, reply["message_id"])

    assert history(conversation["conversation_id"])["messages"] == [user_message]


# ----------------------------------------------------------------------------- history (3.2)


def test_history_of_a_new_conversation_is_empty_with_zero_pages(conversation):
    assert history(conversation["conversation_id"]) == {
        "messages": [],
        "pagination": {"current_page": 1, "per_page": 20, "total": 0, "total_pages": 0},
    }


def test_history_is_oldest_first(conversation, steady_clock):
    sent = [send_text(conversation["conversation_id"], f"m{i}") for i in range(5)]

    page = history(conversation["conversation_id"])

    assert page["messages"] == sent
    assert [m["created_at"] for m in page["messages"]] == sorted(m["created_at"] for m in sent)
    assert page["pagination"] == {"current_page": 1, "per_page": 20, "total": 5, "total_pages": 1}


def test_history_with_exact_multiple_of_limit_and_page_past_the_end(conversation):
    sent = [send_text(conversation["conversation_id"], f"m{i}")["message_id"] for i in range(6)]
    conversation_id = conversation["conversation_id"]

    first, second, third = (history(conversation_id, n, 3) for n in (1, 2, 3))
    far = history(conversation_id, 50, 3)

    assert message_ids(first) == sent[:3]
    assert message_ids(second) == sent[3:]
    assert third["messages"] == []
    assert far["messages"] == []
    assert first["pagination"] == {"current_page": 1, "per_page": 3, "total": 6, "total_pages": 2}
    assert second["pagination"] == {"current_page": 2, "per_page": 3, "total": 6, "total_pages": 2}
    assert third["pagination"] == {"current_page": 3, "per_page": 3, "total": 6, "total_pages": 2}
    assert far["pagination"] == {"current_page": 50, "per_page": 3, "total": 6, "total_pages": 2}


def test_history_partial_last_page(conversation):
    sent = [send_text(conversation["conversation_id"], f"m{i}")["message_id"] for i in range(5)]

    last = history(conversation["conversation_id"], 3, 2)

    assert message_ids(last) == sent[4:]
    assert last["pagination"] == {"current_page": 3, "per_page": 2, "total": 5, "total_pages": 3}


def test_history_shows_only_the_conversations_own_messages(conversation):
    other = conversations.create(ALICE, MODEL, None)
    mine = send_text(conversation["conversation_id"], "here")
    send_text(other["conversation_id"], "there")

    assert history(conversation["conversation_id"])["messages"] == [mine]


def test_history_of_missing_conversation_is_not_found(table):
    with pytest.raises(NotFound):
        history(8080)


def test_history_of_someone_elses_conversation_is_forbidden(conversation):
    send_text(conversation["conversation_id"], "private")

    with pytest.raises(Forbidden) as raised:
        history(conversation["conversation_id"], user_id=BOB)

    assert raised.value.message == "No permission to access messages in this conversation"


# ----------------------------------------------------------------------------- delete (3.3)


def test_delete_message_removes_it_from_history_and_totals(conversation, get_item):
    first, second, third = (send_text(conversation["conversation_id"], f"m{i}") for i in range(3))

    messages.delete(ALICE, second["message_id"])

    page = history(conversation["conversation_id"])
    assert page["messages"] == [first, third]
    assert page["pagination"] == {"current_page": 1, "per_page": 20, "total": 2, "total_pages": 1}
    assert get_item(keys.message_pointer(second["message_id"])) is None
    assert get_item(keys.message(conversation["conversation_id"], second["message_id"])) is None


def test_delete_message_twice_is_not_found_and_counts_once(conversation):
    first = send_text(conversation["conversation_id"], "once")
    send_text(conversation["conversation_id"], "stays")
    messages.delete(ALICE, first["message_id"])

    with pytest.raises(NotFound) as raised:
        messages.delete(ALICE, first["message_id"])

    assert raised.value.message == "Message does not exist"
    assert history(conversation["conversation_id"])["pagination"]["total"] == 1


def test_delete_missing_message_is_not_found(table):
    with pytest.raises(NotFound) as raised:
        messages.delete(ALICE, 777777)

    assert raised.value.message == "Message does not exist"


def test_delete_someone_elses_message_is_forbidden_and_keeps_it(conversation):
    message = send_text(conversation["conversation_id"], "mine")

    with pytest.raises(Forbidden) as raised:
        messages.delete(BOB, message["message_id"])

    assert raised.value.message == "No permission to delete this message"
    assert history(conversation["conversation_id"])["messages"] == [message]


def test_delete_message_does_not_touch_other_conversations(conversation):
    other = conversations.create(ALICE, MODEL, None)
    doomed = send_text(conversation["conversation_id"], "bye")
    kept = send_text(other["conversation_id"], "hi")

    messages.delete(ALICE, doomed["message_id"])

    assert history(other["conversation_id"])["messages"] == [kept]
    assert history(conversation["conversation_id"])["pagination"]["total"] == 0
