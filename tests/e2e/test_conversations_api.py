"""Conversation endpoints (spec 2.1-2.5) over HTTP: the local gateway, the real handlers and
DynamoDB Local. The stack is shared by the session, so every test works with its own users."""

import time
from datetime import UTC, datetime

import pytest
from bailian_chat.config import DEFAULT_MODELS

from tests.support.chat_client import (
    CONVERSATION_FIELDS,
    NOT_AUTHENTICATED,
    PAGINATION_FIELDS,
    ChatApi,
    assert_error,
    bad_request_message,
    new_user,
    success_data,
)
from tests.support.user_shape import ISO_SECONDS_Z

pytestmark = pytest.mark.needs_handlers

CONFIGURED_MODELS = list(DEFAULT_MODELS)  # what the settings allow when ALLOWED_MODELS is unset
MISSING_ID = 2**53 - 1  # valid, never allocated
NOT_A_STRING = "has the wrong type (input should be a valid string)"
NOT_FOUND = (404, "Conversation does not exist")
BAD_IDS = ["abc", "1.5", "0", "-3", str(2**53), "99999999999999999999"]


@pytest.fixture
def fresh(api) -> ChatApi:
    """A brand-new user, for tests that count the whole list."""
    return ChatApi(api, new_user(api, "fresh"))


def seconds(iso: str) -> float:
    return datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()


def listed_ids(data: dict) -> list[int]:
    return [c["conversation_id"] for c in data["conversations"]]


# ----------------------------------------------------------------------------- create (2.1)


def test_create_conversation_returns_the_spec_shape(chat):
    before = int(time.time())

    response = chat.create({"title": "Holiday plans", "model_name": "qwen-vl-max-latest"})

    data = success_data(response, "Creation successful")
    assert set(data) == CONVERSATION_FIELDS
    assert type(data["conversation_id"]) is int and 0 < data["conversation_id"] < 2**53
    assert data["title"] == "Holiday plans"
    assert data["model_name"] == "qwen-vl-max-latest"
    assert data["status"] == 1
    assert ISO_SECONDS_Z.match(data["created_at"]), data["created_at"]
    assert data["updated_at"] == data["created_at"]
    assert before - 1 <= seconds(data["created_at"]) <= time.time() + 1


def test_create_conversation_without_title_is_titled_new_conversation(chat):
    data = success_data(chat.create({"model_name": "qwen-max"}), "Creation successful")

    assert data["title"] == "New Conversation"
    assert success_data(chat.get(data["conversation_id"]), "Retrieval successful") == data


def test_create_conversation_with_null_title_is_titled_new_conversation(chat):
    data = success_data(chat.create({"model_name": "qwen-max", "title": None}), "Creation successful")

    assert data["title"] == "New Conversation"


def test_create_conversation_accepts_every_configured_model(chat):
    created = [chat.create_ok(model_name=model) for model in CONFIGURED_MODELS]

    assert [c["model_name"] for c in created] == CONFIGURED_MODELS
    assert len({c["conversation_id"] for c in created}) == len(CONFIGURED_MODELS)


def test_create_conversation_accepts_a_200_character_title(chat):
    title = "T" * 200

    assert chat.create_ok(title=title)["title"] == title


# Each rule is checked in unit/test_chat_validation.py; over HTTP, the stack's configured models
# and a body that is not an object show the handler answers 400 before it stores anything.
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"model_name": "gpt-4o"}, "model_name: must be one of: " + ", ".join(CONFIGURED_MODELS)),
        (["qwen-max"], "Request body must be a JSON object"),
    ],
    ids=["unknown-model", "array-body"],
)
def test_create_conversation_with_bad_body_is_400_naming_the_field(chat, body, message):
    before = chat.listing_ok()["pagination"]["total"]

    assert bad_request_message(chat.create(body)) == message
    assert chat.listing_ok()["pagination"]["total"] == before


def test_create_conversation_with_malformed_json_is_400(chat):
    before = chat.listing_ok()["pagination"]["total"]

    response = chat.api.post(
        "/api/conversations",
        content=b'{"model_name": "qwen-max",',
        headers={**chat.user.headers, "Content-Type": "application/json"},
    )

    assert bad_request_message(response) == "Malformed JSON in request body"
    assert chat.listing_ok()["pagination"]["total"] == before


# ----------------------------------------------------------------------------- list (2.2)


def test_list_conversations_of_a_new_user_is_empty(fresh):
    data = success_data(fresh.listing(), "Retrieval successful")

    assert data == {
        "conversations": [],
        "pagination": {"current_page": 1, "per_page": 10, "total": 0, "total_pages": 0},
    }


def test_list_conversations_newest_updated_first_in_the_spec_shape(fresh):
    # Sequential requests: each create's timestamp (in ms) is taken after the previous create
    # returned, and ties are broken by the (increasing) id, so the order is deterministic.
    created = [fresh.create_ok(title=f"c{i}") for i in range(3)]

    data = success_data(fresh.listing(), "Retrieval successful")

    assert set(data) == {"conversations", "pagination"}
    assert set(data["pagination"]) == PAGINATION_FIELDS
    assert data["conversations"] == list(reversed(created))
    assert data["pagination"] == {"current_page": 1, "per_page": 10, "total": 3, "total_pages": 1}


def test_list_conversations_defaults_to_ten_per_page(fresh):
    created = [fresh.create_ok(title=f"c{i}") for i in range(11)]
    newest_first = [c["conversation_id"] for c in reversed(created)]

    first = fresh.listing_ok()
    second = fresh.listing_ok(page=2)

    assert listed_ids(first) == newest_first[:10]
    assert listed_ids(second) == newest_first[10:]
    assert first["pagination"] == {"current_page": 1, "per_page": 10, "total": 11, "total_pages": 2}
    assert second["pagination"] == {"current_page": 2, "per_page": 10, "total": 11, "total_pages": 2}


def test_list_conversations_exact_multiple_of_limit(fresh):
    created = [fresh.create_ok(title=f"c{i}") for i in range(20)]
    newest_first = [c["conversation_id"] for c in reversed(created)]

    first, second, third = (fresh.listing_ok(page=n, limit=10) for n in (1, 2, 3))
    everything = fresh.listing_ok(limit=100)

    assert listed_ids(first) == newest_first[:10]
    assert listed_ids(second) == newest_first[10:]
    assert third["conversations"] == []
    assert first["pagination"] == {"current_page": 1, "per_page": 10, "total": 20, "total_pages": 2}
    assert second["pagination"] == {"current_page": 2, "per_page": 10, "total": 20, "total_pages": 2}
    assert third["pagination"] == {"current_page": 3, "per_page": 10, "total": 20, "total_pages": 2}
    assert listed_ids(everything) == newest_first
    assert everything["pagination"] == {"current_page": 1, "per_page": 100, "total": 20, "total_pages": 1}


def test_list_conversations_page_past_the_end_is_empty_with_correct_pagination(fresh):
    for i in range(3):
        fresh.create_ok(title=f"c{i}")

    data = fresh.listing_ok(page=7, limit=2)

    assert data == {
        "conversations": [],
        "pagination": {"current_page": 7, "per_page": 2, "total": 3, "total_pages": 2},
    }


def test_list_conversations_filtered_by_model(fresh):
    plus = [fresh.create_ok(model_name="qwen-plus") for _ in range(2)]
    fresh.create_ok(model_name="qwen-turbo")

    data = fresh.listing_ok(model_name="qwen-plus")
    none = fresh.listing_ok(model_name="qwen-vl-max")

    assert listed_ids(data) == [c["conversation_id"] for c in reversed(plus)]
    assert {c["model_name"] for c in data["conversations"]} == {"qwen-plus"}
    assert data["pagination"] == {"current_page": 1, "per_page": 10, "total": 2, "total_pages": 1}
    assert none == {
        "conversations": [],
        "pagination": {"current_page": 1, "per_page": 10, "total": 0, "total_pages": 0},
    }
    assert fresh.listing_ok()["pagination"]["total"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": -1}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "1.5"}, "limit"),
        ({"page": 0}, "page"),
        ({"page": -1}, "page"),
        ({"page": "abc"}, "page"),
    ],
)
def test_list_conversations_with_bad_paging_is_400_naming_the_parameter(chat, params, field):
    assert bad_request_message(chat.listing(**params)).startswith(f"{field}: ")


def test_renaming_moves_a_conversation_to_the_top(fresh):
    oldest, _, newest = (fresh.create_ok(title=f"c{i}") for i in range(3))

    renamed = success_data(fresh.update(oldest["conversation_id"], {"title": "renamed"}), "Update successful")
    data = fresh.listing_ok()

    assert listed_ids(data)[:2] == [oldest["conversation_id"], newest["conversation_id"]]
    assert data["conversations"][0] == renamed
    assert renamed["title"] == "renamed"


def test_sending_a_message_moves_a_conversation_to_the_top(fresh):
    oldest, _, newest = (fresh.create_ok(title=f"c{i}") for i in range(3))

    message = fresh.send_ok(oldest["conversation_id"], "bump")
    data = fresh.listing_ok()

    assert listed_ids(data)[:2] == [oldest["conversation_id"], newest["conversation_id"]]
    assert data["conversations"][0]["updated_at"] == message["created_at"]
    assert data["pagination"]["total"] == 3


# ----------------------------------------------------------------------------- get (2.3)


def test_get_conversation_returns_it(chat):
    created = chat.create_ok(title="Look me up", model_name="qwen-turbo")

    assert success_data(chat.get(created["conversation_id"]), "Retrieval successful") == created


def test_get_missing_conversation_is_404(chat):
    assert_error(chat.get(MISSING_ID), *NOT_FOUND)


def test_get_someone_elses_conversation_is_403(chat, other):
    theirs = other.create_ok(title="not yours")

    assert_error(chat.get(theirs["conversation_id"]), 403, "No permission to access this conversation")


@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_conversation_endpoints_reject_a_bad_path_id_with_400(chat, method, bad_id):
    url = f"/api/conversations/{bad_id}"
    kwargs = {"json": {"title": "x"}} if method == "put" else {}

    response = chat.api.request(method.upper(), url, headers=chat.user.headers, **kwargs)

    assert bad_request_message(response).startswith("conversation_id: ")


# ----------------------------------------------------------------------------- update (2.4)


def test_update_conversation_renames_it_and_moves_updated_at(chat):
    created = chat.create_ok(title="Before")

    response = chat.update(created["conversation_id"], {"title": "After"})

    data = success_data(response, "Update successful")
    assert set(data) == CONVERSATION_FIELDS
    assert data["title"] == "After"
    assert data["updated_at"] >= created["updated_at"]
    assert ISO_SECONDS_Z.match(data["updated_at"])
    assert {k: v for k, v in data.items() if k not in ("title", "updated_at")} == {
        k: v for k, v in created.items() if k not in ("title", "updated_at")
    }
    assert success_data(chat.get(created["conversation_id"]), "Retrieval successful") == data


@pytest.mark.parametrize("body", [{}, {"title": None}], ids=["no-title", "null-title"])
def test_update_conversation_without_title_returns_it_unchanged(chat, body):
    created = chat.create_ok(title="Stay")

    data = success_data(chat.update(created["conversation_id"], body), "Update successful")

    assert data == created
    assert success_data(chat.get(created["conversation_id"]), "Retrieval successful") == created


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": ""}, "title: must not be empty"),
        ({"title": " \t\n"}, "title: must not be empty"),
        ({"title": "y" * 201}, "title: must be at most 200 characters"),
        ({"title": 42}, f"title: {NOT_A_STRING}"),
        ({"title": ["a"]}, f"title: {NOT_A_STRING}"),
        ("just a string", "Request body must be a JSON object"),
    ],
    ids=["empty", "blank", "too-long", "number", "list", "string-body"],
)
def test_update_conversation_with_bad_body_is_400_and_changes_nothing(chat, body, message):
    created = chat.create_ok(title="Original")

    assert bad_request_message(chat.update(created["conversation_id"], body)) == message
    assert success_data(chat.get(created["conversation_id"]), "Retrieval successful") == created


def test_update_conversation_with_malformed_json_is_400(chat):
    created = chat.create_ok(title="Original")

    response = chat.update_raw(created["conversation_id"], b'{"title": "x"')

    assert bad_request_message(response) == "Malformed JSON in request body"
    assert success_data(chat.get(created["conversation_id"]), "Retrieval successful") == created


def test_update_conversation_with_a_200_character_title_is_accepted(chat):
    created = chat.create_ok()

    data = success_data(chat.update(created["conversation_id"], {"title": "z" * 200}), "Update successful")

    assert data["title"] == "z" * 200


def test_update_missing_conversation_is_404(chat):
    assert_error(chat.update(MISSING_ID, {"title": "ghost"}), *NOT_FOUND)


def test_update_someone_elses_conversation_is_403(chat, other):
    theirs = other.create_ok(title="theirs")

    response = chat.update(theirs["conversation_id"], {"title": "mine now"})

    assert_error(response, 403, "No permission to modify this conversation")
    assert success_data(other.get(theirs["conversation_id"]), "Retrieval successful") == theirs


# ----------------------------------------------------------------------------- delete (2.5)


def test_delete_conversation_removes_it_and_its_messages(fresh):
    keep = fresh.create_ok(title="keep")
    doomed = fresh.create_ok(title="doomed")
    sent = [fresh.send_ok(doomed["conversation_id"], f"m{i}")["message_id"] for i in range(3)]
    before = fresh.listing_ok()["pagination"]["total"]

    response = fresh.delete(doomed["conversation_id"])

    assert response.status_code == 200
    assert response.json() == {"code": 200, "message": "Deletion successful", "data": None}
    assert_error(fresh.get(doomed["conversation_id"]), *NOT_FOUND)
    assert_error(fresh.history(doomed["conversation_id"]), *NOT_FOUND)
    for message_id in sent:
        assert_error(fresh.delete_message(message_id), 404, "Message does not exist")
    listing = fresh.listing_ok()
    assert listed_ids(listing) == [keep["conversation_id"]]
    assert listing["pagination"] == {
        "current_page": 1,
        "per_page": 10,
        "total": before - 1,
        "total_pages": 1,
    }


def test_delete_conversation_twice_is_404_the_second_time(chat):
    created = chat.create_ok()
    assert chat.delete(created["conversation_id"]).status_code == 200

    assert_error(chat.delete(created["conversation_id"]), *NOT_FOUND)


def test_deleted_conversation_takes_no_messages_and_no_rename(chat):
    created = chat.create_ok()
    chat.delete(created["conversation_id"])

    message = {"content": [{"type": "text", "text": "hi"}], "generate": False}
    assert_error(chat.send(created["conversation_id"], message), *NOT_FOUND)
    assert_error(chat.update(created["conversation_id"], {"title": "back"}), *NOT_FOUND)


def test_delete_missing_conversation_is_404(chat):
    assert_error(chat.delete(MISSING_ID), *NOT_FOUND)


def test_delete_someone_elses_conversation_is_403_and_keeps_it(chat, other):
    theirs = other.create_ok(title="theirs")

    assert_error(chat.delete(theirs["conversation_id"]), 403, "No permission to delete this conversation")
    assert success_data(other.get(theirs["conversation_id"]), "Retrieval successful") == theirs


# ----------------------------------------------------------------------------- authentication


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/conversations"),
        ("GET", "/api/conversations"),
        ("GET", "/api/conversations/1"),
        ("PUT", "/api/conversations/1"),
        ("DELETE", "/api/conversations/1"),
    ],
)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["no-token", "garbage-token", "basic-auth"],
)
def test_conversation_endpoints_without_a_valid_token_are_401(api, method, path, headers):
    response = api.request(method, path, json={"model_name": "qwen-max", "title": "x"}, headers=headers)

    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED


def test_conversation_endpoints_reject_a_logged_out_token(api):
    user = new_user(api, "gone")
    chat = ChatApi(api, user)
    created = chat.create_ok()
    logout = api.post("/api/auth/logout", headers=user.headers)
    assert logout.status_code == 200, logout.text

    assert chat.get(created["conversation_id"]).json() == NOT_AUTHENTICATED
    assert chat.listing().status_code == 401
