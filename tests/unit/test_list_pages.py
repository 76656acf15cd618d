"""Lists whose page and total are one Query (issue 15: every read endpoint <= 2 round trips with
the authorizer): the count items heading the conversations' and the keys' lists, the conversation
read with its messages, the audit events counted in the Query that pages them; and the count items
stored before they were indexed (legacy), read apart until their first change upgrades them."""

import pytest
from bailian_chat.auth import api_keys, audit
from bailian_chat.auth.api_key_models import CreateApiKeyRequest
from bailian_chat.chat import conversations, messages
from bailian_chat.errors import Forbidden, NotFound
from bailian_chat.store import dynamodb, keys

from tests.support.environment import UNIT_ENV
from tests.unit.test_chat_conversations import ALICE, BOB, MODEL, OTHER_MODEL, create, ids, page, text_parts

UNUSED_MODEL = "qwen-turbo"


def paged(calls: list[str], read, numbers=(1, 2, 3, 4)) -> tuple[list[dict], list[list[str]]]:
    """`read(number)` of each page, and the DynamoDB calls each made."""
    answers, made = [], []
    for number in numbers:
        calls.clear()
        answers.append(read(number))
        made.append(list(calls))
    return answers, made


def assert_one_query_then_a_skip(made: list[list[str]]) -> None:
    """Page 1 is one Query; a later one the keys-only skip and the page (the skip alone when the
    list ends within it)."""
    assert made[0] == ["Query"]
    assert all(calls in (["Query"], ["Query", "Query"]) for calls in made[1:]), made


def listing(model_name: str | None = None, number: int = 1, limit: int = 10) -> dict:
    return conversations.list_page(ALICE, page(number, limit), model_name)


def make_legacy(ddb, pair: tuple[str, str], index: str = "GSI1") -> None:
    """The count item as the previous version stored it: without its index keys."""
    ddb.update_item(
        TableName=UNIT_ENV["TABLE_NAME"],
        Key=dynamodb.key(*pair),
        UpdateExpression=f"REMOVE {index}PK, {index}SK",
        ConditionExpression="attribute_exists(PK)",
    )


def delete_item(ddb, pair: tuple[str, str]) -> None:
    ddb.delete_item(TableName=UNIT_ENV["TABLE_NAME"], Key=dynamodb.key(*pair))


def legacy_conversation_counts(ddb, user_id: int, models: list[str]) -> None:
    """The previous version's counts: one unindexed total item counting each model itself
    (`model#<name>`), no per-model items."""
    make_legacy(ddb, keys.conversation_counts(user_id))
    for model in models:
        pair = keys.conversation_model_count(user_id, model)
        stored = ddb.get_item(TableName=UNIT_ENV["TABLE_NAME"], Key=dynamodb.key(*pair))["Item"]
        ddb.update_item(
            TableName=UNIT_ENV["TABLE_NAME"],
            Key=dynamodb.key(*keys.conversation_counts(user_id)),
            UpdateExpression="SET #model = :count",
            ExpressionAttributeNames={"#model": f"model#{model}"},
            ExpressionAttributeValues={":count": stored["count"]},
        )
        delete_item(ddb, pair)


# ------------------------------------------------------------------------------- conversations


def test_totals_with_and_without_a_model_filter_are_one_query(table, steady_clock, dynamodb_calls):
    plain = [create(model_name=MODEL) for _ in range(3)]
    vision = [create(model_name=OTHER_MODEL) for _ in range(2)]
    dynamodb_calls.clear()

    everything = listing()
    filtered = listing(OTHER_MODEL)
    unused = listing(UNUSED_MODEL)

    assert dynamodb_calls == ["Query"] * 3
    assert ids(everything) == [c["conversation_id"] for c in reversed(plain + vision)]
    assert everything["pagination"]["total"] == 5
    assert ids(filtered) == [c["conversation_id"] for c in reversed(vision)]
    assert filtered["pagination"]["total"] == 2
    assert unused == {
        "conversations": [],
        "pagination": {"current_page": 1, "per_page": 10, "total": 0, "total_pages": 0},
    }


@pytest.mark.parametrize("model_name", [None, MODEL])
def test_later_pages_skip_the_count_item_and_the_earlier_ones(
    table, steady_clock, dynamodb_calls, model_name
):
    created = [create(model_name=MODEL) for _ in range(5)] + [create(model_name=OTHER_MODEL)]
    shown = created[:5] if model_name else created
    newest_first = [c["conversation_id"] for c in reversed(shown)]

    pages, made = paged(dynamodb_calls, lambda number: listing(model_name, number, limit=2))

    assert_one_query_then_a_skip(made)
    assert made[1] == ["Query", "Query"]
    assert [p["pagination"]["total"] for p in pages] == [len(shown)] * 4
    assert [i for p in pages for i in ids(p)] == newest_first
    assert pages[-1]["conversations"] == []


def test_a_new_users_empty_list_is_one_query(table, dynamodb_calls):
    assert listing() == {
        "conversations": [],
        "pagination": {"current_page": 1, "per_page": 10, "total": 0, "total_pages": 0},
    }
    assert listing(MODEL, number=3)["pagination"]["total"] == 0
    assert dynamodb_calls == ["Query", "Query"]


def test_totals_follow_deletes_down_to_zero(table, steady_clock):
    first, second = create(), create(model_name=OTHER_MODEL)

    conversations.delete(ALICE, first["conversation_id"])
    assert (listing()["pagination"]["total"], listing(MODEL)["pagination"]["total"]) == (1, 0)
    conversations.delete(ALICE, second["conversation_id"])
    assert [listing(m)["pagination"]["total"] for m in (None, MODEL, OTHER_MODEL)] == [0, 0, 0]


def test_a_legacy_count_item_gives_the_totals_with_one_more_read(table, steady_clock, ddb, dynamodb_calls):
    for model in (MODEL, MODEL, OTHER_MODEL):
        create(model_name=model)
    legacy_conversation_counts(ddb, ALICE, [MODEL, OTHER_MODEL])
    dynamodb_calls.clear()

    totals = [listing(m)["pagination"]["total"] for m in (None, MODEL, OTHER_MODEL, UNUSED_MODEL)]
    second_page = listing(MODEL, number=2, limit=1)

    assert totals == [3, 2, 1, 0]
    assert ids(second_page) and second_page["pagination"]["total"] == 2
    # Query + GetItem of the unindexed total for each list that has items; an empty one is 0.
    assert dynamodb_calls == ["Query", "GetItem"] * 3 + ["Query"] + ["Query", "Query", "GetItem"]


@pytest.mark.parametrize("change", ["create", "delete"])
def test_the_first_change_upgrades_a_legacy_count_item(table, steady_clock, ddb, dynamodb_calls, change):
    kept = [create(model_name=model) for model in (MODEL, MODEL, OTHER_MODEL)]
    legacy_conversation_counts(ddb, ALICE, [MODEL, OTHER_MODEL])

    if change == "create":
        create(model_name=UNUSED_MODEL)
        expected = [4, 2, 1, 1]
    else:
        conversations.delete(ALICE, kept[0]["conversation_id"])
        expected = [2, 1, 1, 0]
    dynamodb_calls.clear()

    totals = [listing(m)["pagination"]["total"] for m in (None, MODEL, OTHER_MODEL, UNUSED_MODEL)]

    assert totals == expected
    assert dynamodb_calls == ["Query"] * 4  # every count item now heads its list


def test_the_upgrade_made_from_a_stale_read_is_written_again(table, steady_clock, ddb, monkeypatch):
    """A legacy total that changes between the failed write and the upgrade: the upgrade's condition
    fails with the item as it now is, and the next try makes the model counts from that."""
    from bailian_chat.store import conversation_items

    create(model_name=MODEL)
    legacy_conversation_counts(ddb, ALICE, [MODEL])
    real_count_actions = conversation_items._count_actions

    def concurrent_legacy_write(user_id, model_name, amount, legacy=None):
        if legacy is not None and legacy.get("total") == 1:  # an old writer adds one meanwhile
            ddb.update_item(
                TableName=UNIT_ENV["TABLE_NAME"],
                Key=dynamodb.key(*keys.conversation_counts(ALICE)),
                UpdateExpression="ADD #total :one, #model :one",
                ExpressionAttributeNames={"#total": "total", "#model": f"model#{MODEL}"},
                ExpressionAttributeValues={":one": {"N": "1"}},
            )
        return real_count_actions(user_id, model_name, amount, legacy)

    monkeypatch.setattr(conversation_items, "_count_actions", concurrent_legacy_write)
    create(model_name=MODEL)

    assert [listing(m)["pagination"]["total"] for m in (None, MODEL)] == [3, 3]


def test_another_users_conversations_and_counts_stay_apart(table, steady_clock):
    create(ALICE)
    create(BOB, model_name=OTHER_MODEL)

    assert listing()["pagination"]["total"] == 1
    assert conversations.list_page(BOB, page(), None)["pagination"]["total"] == 1
    assert listing(OTHER_MODEL)["pagination"]["total"] == 0


# ------------------------------------------------------------------------------------ messages


def history(user_id: int, conversation_id: int, number: int = 1, limit: int = 10) -> dict:
    return messages.history(user_id, conversation_id, page(number, limit))


def test_messages_and_their_total_are_one_query_and_later_pages_two(table, steady_clock, dynamodb_calls):
    conversation_id = create()["conversation_id"]
    sent = [messages.send(ALICE, conversation_id, text_parts(f"m{i}"))[0] for i in range(5)]

    pages, made = paged(dynamodb_calls, lambda number: history(ALICE, conversation_id, number, limit=2))

    assert_one_query_then_a_skip(made)
    assert [m["message_id"] for p in pages for m in p["messages"]] == [m["message_id"] for m in sent]
    assert [p["pagination"]["total"] for p in pages] == [5] * 4


def test_a_conversation_without_messages_is_an_empty_page(table, dynamodb_calls):
    conversation_id = create()["conversation_id"]
    dynamodb_calls.clear()

    assert history(ALICE, conversation_id)["pagination"]["total"] == 0
    assert history(ALICE, conversation_id, number=2)["messages"] == []
    assert dynamodb_calls == ["Query", "Query"]


@pytest.mark.parametrize("number", [1, 2])
def test_another_users_messages_are_403_and_a_missing_conversation_404_from_the_pages_own_query(
    table, steady_clock, dynamodb_calls, number
):
    conversation_id = create(BOB)["conversation_id"]
    for i in range(3):
        messages.send(BOB, conversation_id, text_parts(f"m{i}"))
    dynamodb_calls.clear()

    with pytest.raises(Forbidden, match="No permission to access messages in this conversation"):
        history(ALICE, conversation_id, number, limit=1)
    with pytest.raises(NotFound, match="Conversation does not exist"):
        history(ALICE, conversation_id + 1000, number, limit=1)

    # Page 2: the skip reads the owner too (and ends there when there is no conversation).
    assert dynamodb_calls == ["Query"] * number + ["Query"]


def test_a_conversation_being_deleted_is_404_with_its_messages_still_there(table, steady_clock):
    from bailian_chat.store import conversation_items

    conversation_id = create()["conversation_id"]
    messages.send(ALICE, conversation_id, text_parts("hi"))
    conversation_items.mark_deleting(conversation_id)

    for number in (1, 2):
        with pytest.raises(NotFound, match="Conversation does not exist"):
            history(ALICE, conversation_id, number, limit=1)


# ----------------------------------------------------------------------------------------- keys


def new_key(user_id: int = ALICE, name: str = "k") -> dict:
    return api_keys.create(user_id, CreateApiKeyRequest(name=name))


def test_keys_and_their_total_are_one_query_and_later_pages_two(table, dynamodb_calls):
    created = [new_key(name=f"k{i}")["key_id"] for i in range(3)]
    new_key(BOB)

    pages, made = paged(dynamodb_calls, lambda number: api_keys.list_page(ALICE, page(number, 2)), (1, 2, 3))

    assert_one_query_then_a_skip(made)
    assert [k["key_id"] for p in pages for k in p["api_keys"]] == created
    assert [p["pagination"]["total"] for p in pages] == [3, 3, 3]
    assert api_keys.list_page(BOB + 1, page())["pagination"]["total"] == 0


def test_a_legacy_key_count_gives_the_total_until_the_next_key_indexes_it(table, ddb, dynamodb_calls):
    new_key()
    new_key()
    make_legacy(ddb, keys.api_key_counts(ALICE))
    dynamodb_calls.clear()

    assert api_keys.list_page(ALICE, page())["pagination"]["total"] == 2
    assert api_keys.list_page(ALICE, page(2, 1))["pagination"]["total"] == 2
    assert dynamodb_calls[:2] == ["Query", "GetItem"] and dynamodb_calls[-1] == "GetItem"

    new_key()
    dynamodb_calls.clear()
    assert api_keys.list_page(ALICE, page())["pagination"]["total"] == 3
    assert dynamodb_calls == ["Query"]


# ---------------------------------------------------------------------------------------- audit


def record_events(user_id: int, count: int) -> None:
    for number in range(count):
        audit.record(audit.LOGIN_SUCCEEDED, user_id, f"192.0.2.{number}")


@pytest.fixture
def short_responses(monkeypatch):
    """Query responses cut after 3 items, as DynamoDB cuts them at 1 MB (a COUNT is left whole)."""
    from bailian_chat.store import queries

    real_client = queries.client

    class ShortResponses:
        def __init__(self, client):
            self._client = client

        def query(self, **request):
            if request.get("Select") != "COUNT" and "Limit" not in request:
                request["Limit"] = 3
            return self._client.query(**request)

    monkeypatch.setattr(queries, "client", lambda: ShortResponses(real_client()))


def test_audit_events_and_their_total_are_one_query(table, steady_clock, dynamodb_calls):
    record_events(ALICE, 5)
    record_events(BOB, 2)
    dynamodb_calls.clear()

    first = audit.page(ALICE, page(1, 2))
    last = audit.page(ALICE, page(3, 2))

    assert dynamodb_calls == ["Query", "Query"]
    assert [first["pagination"]["total"], last["pagination"]["total"]] == [5, 5]
    assert [e["client_ip"] for e in first["audit_events"] + last["audit_events"]] == [
        "192.0.2.4",
        "192.0.2.3",
        "192.0.2.0",
    ]


def test_audit_events_beyond_one_response_are_counted(table, steady_clock, short_responses, dynamodb_calls):
    record_events(ALICE, 8)
    dynamodb_calls.clear()

    first = audit.page(ALICE, page(1, 2))
    fourth = audit.page(ALICE, page(4, 2))

    assert first["pagination"]["total"] == fourth["pagination"]["total"] == 8
    assert [e["client_ip"] for e in first["audit_events"]] == ["192.0.2.7", "192.0.2.6"]
    assert [e["client_ip"] for e in fourth["audit_events"]] == ["192.0.2.1", "192.0.2.0"]
    # Page 1: one cut response, the rest counted; page 4: three responses reach the page's end.
    assert dynamodb_calls == ["Query", "Query", "Query", "Query", "Query"]


def test_an_admin_reads_a_user_and_their_events_in_one_query(table, steady_clock, signed_in, dynamodb_calls):
    record_events(signed_in.user_id, 3)
    new_key(signed_in.user_id)  # a count item in the user's partition, between the events and profile
    create(signed_in.user_id)
    dynamodb_calls.clear()

    answer = audit.user_page(signed_in.user_id, page(1, 50))

    assert dynamodb_calls == ["Query"]
    events = {e["event"] for e in answer["audit_events"]}
    assert events == {audit.LOGIN_SUCCEEDED, audit.API_KEY_CREATED}
    assert answer["pagination"]["total"] == len(answer["audit_events"]) == 5  # 3 + sign-in + key


def test_an_admin_asking_for_a_missing_users_events_is_404_in_one_query(table, dynamodb_calls):
    record_events(ALICE, 2)  # events under an id with no user item: no user all the same
    dynamodb_calls.clear()
    with pytest.raises(NotFound, match="User does not exist"):
        audit.user_page(ALICE, page())
    assert dynamodb_calls == ["Query"]
