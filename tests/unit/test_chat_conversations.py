"""The conversation use cases (spec 2.1-2.5) against moto: bailian_chat.chat.conversations with
user ids, the store's counts and recency indexes, and the delete cascade."""

import contextlib

import pytest
from bailian_chat import clock
from bailian_chat.chat import conversations, messages
from bailian_chat.chat.models import SendMessageRequest
from bailian_chat.errors import Forbidden, NotFound
from bailian_chat.paging import PageRequest
from bailian_chat.store import conversation_items as conversation_store
from bailian_chat.store import keys
from bailian_chat.store import message_items as message_store
from boto3.dynamodb.types import TypeDeserializer

from tests.support.chat_client import CONVERSATION_FIELDS, SteppingClock
from tests.support.user_shape import ISO_SECONDS_Z

ALICE = 101
BOB = 202
MODEL = "qwen-max"
OTHER_MODEL = "qwen-vl-plus"


def page(number: int = 1, limit: int = 10) -> PageRequest:
    return PageRequest(page=number, limit=limit)


def text_parts(text: str) -> list:
    return SendMessageRequest.model_validate({"content": [{"type": "text", "text": text}]}).content


def create(user_id: int = ALICE, title: str | None = None, model_name: str = MODEL) -> dict:
    return conversations.create(user_id, model_name, title)


def ids(listing: dict) -> list[int]:
    return [c["conversation_id"] for c in listing["conversations"]]


def items_with_pk(ddb, table: str, pks: set[str]) -> list[dict]:
    """Every item of the table whose PK is one of `pks` (a Scan is fine in a test)."""
    found, start = [], None
    while True:
        response = ddb.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
        found += [item for item in response["Items"] if item["PK"]["S"] in pks]
        start = response.get("LastEvaluatedKey")
        if start is None:
            return [{k: TypeDeserializer().deserialize(v) for k, v in item.items()} for item in found]


# ----------------------------------------------------------------------------- create (2.1)


def test_create_conversation_returns_exactly_the_spec_fields(table, steady_clock):
    conversation = create(title="Trip planning")

    assert set(conversation) == CONVERSATION_FIELDS
    assert type(conversation["conversation_id"]) is int
    assert 0 < conversation["conversation_id"] < 2**53
    assert conversation["title"] == "Trip planning"
    assert conversation["model_name"] == MODEL
    assert conversation["status"] == 1
    assert conversation["created_at"] == "2025-01-01T00:00:00Z"
    assert conversation["updated_at"] == "2025-01-01T00:00:00Z"
    assert ISO_SECONDS_Z.match(conversation["created_at"])


def test_create_conversation_without_title_uses_the_default_title(table):
    conversation = create(title=None)

    assert conversation["title"] == "New Conversation"
    assert ISO_SECONDS_Z.match(conversation["created_at"])
    assert conversation["updated_at"] == conversation["created_at"]


def test_create_conversation_allocates_distinct_increasing_ids(table):
    created = [create(user_id) for user_id in (ALICE, BOB, ALICE)]

    allocated = [c["conversation_id"] for c in created]
    assert allocated == sorted(allocated)
    assert len(set(allocated)) == 3


def test_created_conversation_is_readable_by_its_owner(table):
    conversation = create(title="Mine", model_name=OTHER_MODEL)

    assert conversations.get(ALICE, conversation["conversation_id"]) == conversation


# ----------------------------------------------------------------------------- list (2.2)


def test_list_conversations_of_a_new_user_is_empty_with_zero_pages(table):
    listing = conversations.list_page(ALICE, page(), None)

    assert listing == {
        "conversations": [],
        "pagination": {"current_page": 1, "per_page": 10, "total": 0, "total_pages": 0},
    }


def test_list_conversations_newest_updated_first(table, steady_clock):
    created = [create(title=f"c{i}") for i in range(3)]

    listing = conversations.list_page(ALICE, page(), None)

    assert listing["conversations"] == list(reversed(created))
    assert listing["pagination"] == {"current_page": 1, "per_page": 10, "total": 3, "total_pages": 1}


def test_list_conversations_orders_by_millisecond_not_by_id(table, monkeypatch):
    # Same second, different milliseconds: the later one is first even in the same ISO second.
    fake = SteppingClock(step_ms=1)
    monkeypatch.setattr(clock, "instant", fake)
    first, second = create(title="first"), create(title="second")
    conversations.update(ALICE, first["conversation_id"], "first, renamed")

    listing = conversations.list_page(ALICE, page(), None)

    assert ids(listing) == [first["conversation_id"], second["conversation_id"]]
    assert listing["conversations"][0]["updated_at"] == second["updated_at"]


def test_list_conversations_with_exact_multiple_of_limit_has_full_last_page(table, steady_clock):
    created = [create(title=f"c{i}") for i in range(20)]
    newest_first = [c["conversation_id"] for c in reversed(created)]

    first = conversations.list_page(ALICE, page(1, 10), None)
    second = conversations.list_page(ALICE, page(2, 10), None)
    third = conversations.list_page(ALICE, page(3, 10), None)

    assert ids(first) == newest_first[:10]
    assert ids(second) == newest_first[10:]
    assert third["conversations"] == []
    assert first["pagination"] == {"current_page": 1, "per_page": 10, "total": 20, "total_pages": 2}
    assert second["pagination"] == {"current_page": 2, "per_page": 10, "total": 20, "total_pages": 2}
    assert third["pagination"] == {"current_page": 3, "per_page": 10, "total": 20, "total_pages": 2}


def test_list_conversations_partial_last_page_and_page_past_the_end(table, steady_clock):
    created = [create(title=f"c{i}") for i in range(7)]
    newest_first = [c["conversation_id"] for c in reversed(created)]

    last = conversations.list_page(ALICE, page(3, 3), None)
    beyond = conversations.list_page(ALICE, page(9, 3), None)

    assert ids(last) == newest_first[6:]
    assert last["pagination"] == {"current_page": 3, "per_page": 3, "total": 7, "total_pages": 3}
    assert beyond == {
        "conversations": [],
        "pagination": {"current_page": 9, "per_page": 3, "total": 7, "total_pages": 3},
    }


def test_list_conversations_with_limit_100_returns_them_all_on_one_page(table, steady_clock):
    created = [create(title=f"c{i}") for i in range(12)]

    listing = conversations.list_page(ALICE, page(1, 100), None)

    assert ids(listing) == [c["conversation_id"] for c in reversed(created)]
    assert listing["pagination"] == {"current_page": 1, "per_page": 100, "total": 12, "total_pages": 1}


def test_list_conversations_filtered_by_model_counts_and_pages_that_model_only(table, steady_clock):
    plain = [create(model_name=MODEL) for _ in range(3)]
    vision = [create(model_name=OTHER_MODEL) for _ in range(2)]

    filtered = conversations.list_page(ALICE, page(1, 1), OTHER_MODEL)
    second = conversations.list_page(ALICE, page(2, 1), OTHER_MODEL)
    everything = conversations.list_page(ALICE, page(), None)
    unused = conversations.list_page(ALICE, page(), "qwen-turbo")

    assert ids(filtered) == [vision[1]["conversation_id"]]
    assert ids(second) == [vision[0]["conversation_id"]]
    assert filtered["pagination"] == {"current_page": 1, "per_page": 1, "total": 2, "total_pages": 2}
    assert everything["pagination"]["total"] == 5
    assert ids(everything) == [c["conversation_id"] for c in reversed(plain + vision)]
    assert unused["conversations"] == []
    assert unused["pagination"]["total"] == 0


def test_list_conversations_shows_only_the_callers_own(table, steady_clock):
    mine = create(ALICE)
    create(BOB)
    create(BOB)

    listing = conversations.list_page(ALICE, page(), None)

    assert ids(listing) == [mine["conversation_id"]]
    assert listing["pagination"]["total"] == 1


def test_renaming_a_conversation_moves_it_to_the_top(table, steady_clock):
    oldest, _middle, _newest = (create(title=f"c{i}") for i in range(3))

    renamed = conversations.update(ALICE, oldest["conversation_id"], "renamed")
    listing = conversations.list_page(ALICE, page(), None)

    assert ids(listing)[0] == oldest["conversation_id"]
    assert listing["conversations"][0] == renamed
    assert conversations.list_page(ALICE, page(), OTHER_MODEL)["conversations"] == []
    assert ids(conversations.list_page(ALICE, page(), MODEL))[0] == oldest["conversation_id"]


def test_sending_a_message_moves_the_conversation_to_the_top(table, steady_clock):
    oldest, _middle, newest = (create(title=f"c{i}") for i in range(3))

    message, _ = messages.send(ALICE, oldest["conversation_id"], text_parts("hello"))
    listing = conversations.list_page(ALICE, page(), None)

    assert ids(listing)[:2] == [oldest["conversation_id"], newest["conversation_id"]]
    assert listing["conversations"][0]["updated_at"] == message["created_at"]
    assert listing["conversations"][0]["updated_at"] > oldest["updated_at"]
    assert ids(conversations.list_page(ALICE, page(), MODEL))[0] == oldest["conversation_id"]


# ----------------------------------------------------------------------------- get (2.3)


def test_get_missing_conversation_is_not_found(table):
    with pytest.raises(NotFound) as raised:
        conversations.get(ALICE, 987654)

    assert raised.value.message == "Conversation does not exist"


def test_get_someone_elses_conversation_is_forbidden(table):
    theirs = create(BOB, title="Bob's secret")

    with pytest.raises(Forbidden) as raised:
        conversations.get(ALICE, theirs["conversation_id"])

    assert raised.value.message == "No permission to access this conversation"
    assert "Bob's secret" not in raised.value.message


# ----------------------------------------------------------------------------- update (2.4)


def test_update_conversation_changes_title_and_updated_at(table, steady_clock):
    conversation = create(title="Before")

    updated = conversations.update(ALICE, conversation["conversation_id"], "After")

    assert updated == {
        **conversation,
        "title": "After",
        "updated_at": "2025-01-01T00:00:01Z",
    }
    assert conversations.get(ALICE, conversation["conversation_id"]) == updated


def test_update_conversation_without_title_returns_it_unchanged(table, steady_clock):
    conversation = create(title="Keep me")

    unchanged = conversations.update(ALICE, conversation["conversation_id"], None)

    assert unchanged == conversation
    assert conversations.get(ALICE, conversation["conversation_id"]) == conversation
    assert steady_clock.ticks == 1  # no write happened


def test_update_missing_conversation_is_not_found(table):
    with pytest.raises(NotFound):
        conversations.update(ALICE, 424242, "title")


def test_update_someone_elses_conversation_is_forbidden_and_leaves_it_alone(table):
    theirs = create(BOB, title="Bob's")

    with pytest.raises(Forbidden) as raised:
        conversations.update(ALICE, theirs["conversation_id"], "hijacked")

    assert raised.value.message == "No permission to modify this conversation"
    assert conversations.get(BOB, theirs["conversation_id"]) == theirs


# ----------------------------------------------------------------------------- delete (2.5)


def test_delete_conversation_removes_it_from_get_and_list_and_totals(table, steady_clock):
    keep = create(title="keep")
    doomed = create(title="doomed", model_name=OTHER_MODEL)

    conversations.delete(ALICE, doomed["conversation_id"])

    with pytest.raises(NotFound):
        conversations.get(ALICE, doomed["conversation_id"])
    listing = conversations.list_page(ALICE, page(), None)
    assert ids(listing) == [keep["conversation_id"]]
    assert listing["pagination"]["total"] == 1
    assert listing["pagination"]["total_pages"] == 1
    assert conversations.list_page(ALICE, page(), OTHER_MODEL)["pagination"]["total"] == 0
    assert conversations.list_page(ALICE, page(), MODEL)["pagination"]["total"] == 1


def test_delete_conversation_twice_is_not_found_the_second_time(table):
    conversation = create()
    conversations.delete(ALICE, conversation["conversation_id"])

    with pytest.raises(NotFound):
        conversations.delete(ALICE, conversation["conversation_id"])
    assert conversations.list_page(ALICE, page(), None)["pagination"]["total"] == 0


def test_delete_missing_conversation_is_not_found(table):
    with pytest.raises(NotFound):
        conversations.delete(ALICE, 31337)


def test_delete_someone_elses_conversation_is_forbidden_and_keeps_it(table):
    theirs = create(BOB)
    message, _ = messages.send(BOB, theirs["conversation_id"], text_parts("bob's words"))

    with pytest.raises(Forbidden) as raised:
        conversations.delete(ALICE, theirs["conversation_id"])

    assert raised.value.message == "No permission to delete this conversation"
    assert conversations.get(BOB, theirs["conversation_id"])["conversation_id"] == theirs["conversation_id"]
    history = messages.history(BOB, theirs["conversation_id"], page(1, 20))
    assert history["messages"] == [message]


def test_delete_conversation_cascades_to_more_messages_than_one_batch(table, ddb):
    doomed = create(title="long one")
    sent = [
        messages.send(ALICE, doomed["conversation_id"], text_parts(f"message {i}"))[0]["message_id"]
        for i in range(60)
    ]
    neighbour = create(title="neighbour")
    kept, _ = messages.send(ALICE, neighbour["conversation_id"], text_parts("still here"))
    assert messages.history(ALICE, doomed["conversation_id"], page(1, 100))["pagination"]["total"] == 60

    conversations.delete(ALICE, doomed["conversation_id"])

    doomed_pks = {keys.conversation(doomed["conversation_id"])[0]} | {
        keys.message_pointer(message_id)[0] for message_id in sent
    }
    assert items_with_pk(ddb, table, doomed_pks) == []
    for message_id in (sent[0], sent[29], sent[-1]):
        with pytest.raises(NotFound):
            messages.delete(ALICE, message_id)
    with pytest.raises(NotFound):
        messages.history(ALICE, doomed["conversation_id"], page())
    # The other conversation and its message are untouched.
    assert messages.history(ALICE, neighbour["conversation_id"], page())["messages"] == [kept]
    assert ids(conversations.list_page(ALICE, page(), None)) == [neighbour["conversation_id"]]


def test_delete_conversation_keeps_the_daily_activity_counts(table, steady_clock, get_item):
    conversation = create()
    messages.send(ALICE, conversation["conversation_id"], text_parts("one"))
    messages.send(ALICE, conversation["conversation_id"], text_parts("two"))

    conversations.delete(ALICE, conversation["conversation_id"])

    rollup = get_item(keys.daily_rollup(ALICE, "2025-01-01", MODEL))
    assert rollup["conversations"] == 1
    assert rollup["messages"] == 2


def test_conversation_being_deleted_is_not_found_for_reads_writes_and_sends(table, steady_clock):
    conversation = create()
    conversation_id = conversation["conversation_id"]
    # A delete that stopped after closing the conversation (e.g. a timeout mid-cascade).
    assert conversation_store.mark_deleting(conversation_id)

    with pytest.raises(NotFound):
        conversations.get(ALICE, conversation_id)
    with pytest.raises(NotFound):
        conversations.update(ALICE, conversation_id, "renamed")
    with pytest.raises(NotFound):
        messages.send(ALICE, conversation_id, text_parts("too late"))
    with pytest.raises(NotFound):
        messages.history(ALICE, conversation_id, page())
    # A retry of the delete finishes the job.
    conversations.delete(ALICE, conversation_id)
    assert conversations.list_page(ALICE, page(), None)["pagination"]["total"] == 0


def test_concurrent_deletes_of_one_conversation_answer_not_found_to_the_loser(table, monkeypatch):
    """Two deletes of the same conversation (a double click): both read it before either
    finished. The one that finishes second must not fail with an unhandled error (a 500),
    and the user's count drops by one, not two."""
    conversation = create()
    create(title="other")
    messages.send(ALICE, conversation["conversation_id"], text_parts("hi"))
    real_delete_all = message_store.delete_all_messages
    interleaved = []

    def delete_all_while_another_request_deletes(conversation_id: int) -> int:
        if not interleaved:
            interleaved.append(conversation_id)
            conversations.delete(ALICE, conversation_id)  # the other request runs to completion
        return real_delete_all(conversation_id)

    monkeypatch.setattr(message_store, "delete_all_messages", delete_all_while_another_request_deletes)

    # "Already deleted" (404) is a fine answer for the loser; anything else is not.
    with contextlib.suppress(NotFound):
        conversations.delete(ALICE, conversation["conversation_id"])

    assert interleaved == [conversation["conversation_id"]]
    assert conversations.list_page(ALICE, page(), None)["pagination"]["total"] == 1
