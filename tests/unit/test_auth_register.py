"""POST /api/auth/register (spec 1.1) through the real handler, against moto."""

import json
import time
from datetime import UTC, datetime

import pytest
from bailian_chat.store import dynamodb, keys
from botocore.exceptions import ClientError

from tests.support.payloads import registration
from tests.support.user_shape import ISO_SECONDS_Z, REGISTERED_USER_FIELDS


def assert_bad_request(response, message_start: str) -> None:
    assert response.status == 400, response
    assert response.body["code"] == 400
    assert response.body["data"] is None
    assert response.body["message"].startswith(message_start), response.body["message"]


# ----------------------------------------------------------------------------- success


def test_register_with_valid_body_returns_the_user_in_the_spec_shape(gateway):
    body = registration(nickname="Alice", phone="+8613800138000")

    response = gateway.register(body)

    assert response.status == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.body["code"] == 200
    assert response.body["message"] == "Registration successful"
    data = response.body["data"]
    assert set(data) == REGISTERED_USER_FIELDS
    assert type(data["user_id"]) is int and 0 < data["user_id"] < 2**53
    assert data["username"] == body["username"]
    assert data["email"] == body["email"]
    assert data["nickname"] == "Alice"
    assert data["avatar_url"] is None
    assert data["phone"] == "+8613800138000"
    assert data["status"] == 1
    assert ISO_SECONDS_Z.match(data["created_at"]), data["created_at"]
    created = datetime.strptime(data["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(created.timestamp() - time.time()) < 60


def test_register_without_optional_fields_returns_nulls(gateway):
    response = gateway.register(registration())

    assert response.status == 200
    data = response.body["data"]
    assert data["nickname"] is None
    assert data["phone"] is None
    assert data["avatar_url"] is None


def test_register_never_returns_the_password_or_its_hash(gateway):
    body = registration()

    response = gateway.register(body)

    raw = json.dumps(response.body)
    assert response.status == 200
    assert body["password"] not in raw
    assert "password" not in raw
    assert "$argon2" not in raw


def test_register_stores_an_argon2id_hash_not_the_password(gateway, get_item):
    body = registration()

    user_id = gateway.register(body).body["data"]["user_id"]

    stored = get_item(keys.user(user_id))
    assert stored["password_hash"].startswith("$argon2id$")
    assert body["password"] not in json.dumps(stored, default=str)


def test_register_gives_each_user_a_new_increasing_id(gateway):
    first = gateway.register(registration()).body["data"]["user_id"]
    second = gateway.register(registration()).body["data"]["user_id"]

    assert second > first > 0


# ----------------------------------------------------------------------------- conflicts


@pytest.mark.parametrize(("field", "message"), [("username", "Username"), ("email", "Email")])
def test_register_with_taken_username_or_email_in_other_case_returns_409(gateway, field, message):
    first = registration(prefix="alice")
    assert gateway.register(first).status == 200

    response = gateway.register(registration(**{field: first[field].upper()}))

    assert response.status == 409
    assert response.body == {"code": 409, "message": f"{message} already exists", "data": None}


def test_register_with_same_username_and_email_returns_409_for_the_username(gateway):
    first = registration()
    assert gateway.register(first).status == 200

    response = gateway.register(dict(first))

    assert response.status == 409
    assert response.body["message"] == "Username already exists"


@pytest.mark.parametrize("taken", ["email", "username"])
def test_register_rejected_for_one_taken_field_does_not_claim_the_other(gateway, taken):
    first = registration()
    assert gateway.register(first).status == 200
    second = registration()

    rejected = gateway.register({**second, taken: first[taken]})
    retried = gateway.register(second)

    assert rejected.status == 409
    assert retried.status == 200, retried


# ----------------------------------------------------------------------------- body shape


@pytest.mark.parametrize(
    ("raw_body", "message"),
    [
        ('{"username": "alice",', "Malformed JSON in request body"),
        ("not json at all", "Malformed JSON in request body"),
        ("[]", "Request body must be a JSON object"),
        ('[{"username": "alice"}]', "Request body must be a JSON object"),
        ('"alice"', "Request body must be a JSON object"),
        ("42", "Request body must be a JSON object"),
        ("null", "Request body must be a JSON object"),
        ("", "Request body must be a JSON object"),
        (None, "Request body must be a JSON object"),
    ],
    ids=["truncated", "text", "empty-array", "array", "string", "number", "null", "empty", "absent"],
)
def test_register_with_non_object_body_returns_400(gateway, raw_body, message):
    response = gateway.register(raw_body)

    assert response.status == 400
    assert response.body == {"code": 400, "message": message, "data": None}


def test_register_with_array_wrapping_a_valid_body_returns_400_and_stores_nothing(gateway):
    body = registration()

    response = gateway.register(json.dumps([body]))
    retried = gateway.register(body)

    assert response.status == 400, response
    assert response.body == {"code": 400, "message": "Request body must be a JSON object", "data": None}
    assert retried.status == 200


@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_register_without_a_required_field_returns_400_naming_it(gateway, field):
    body = registration()
    del body[field]

    response = gateway.register(body)

    assert response.status == 400
    assert response.body == {"code": 400, "message": f"{field}: is required", "data": None}


def test_register_with_empty_object_returns_400_naming_a_field(gateway):
    response = gateway.register({})

    assert_bad_request(response, "username: is required")


@pytest.mark.parametrize("field", ["username", "email", "password"])
def test_register_with_empty_string_field_returns_400_naming_it(gateway, field):
    response = gateway.register(registration(**{field: ""}))

    assert_bad_request(response, f"{field}: ")


@pytest.mark.parametrize("field", ["username", "email", "password"])
@pytest.mark.parametrize("value", [12345678, 1.5, True, None, {"value": "alice"}, ["alice"]], ids=repr)
def test_register_with_non_string_field_returns_400_naming_it(gateway, field, value):
    response = gateway.register(registration(**{field: value}))

    assert_bad_request(response, f"{field}: has the wrong type")


@pytest.mark.parametrize("field", ["nickname", "phone"])
@pytest.mark.parametrize("value", [12345678, True, {"value": "x"}, ["x"]], ids=repr)
def test_register_with_non_string_optional_field_returns_400_naming_it(gateway, field, value):
    response = gateway.register(registration(**{field: value}))

    assert_bad_request(response, f"{field}: ")


def test_register_with_string_id_fields_unknown_to_the_spec_ignores_them(gateway):
    response = gateway.register(registration(user_id=1, status=0, password_hash="x", avatar_url="x"))

    assert response.status == 200
    assert response.body["data"]["status"] == 1
    assert response.body["data"]["avatar_url"] is None


# ----------------------------------------------------------------------------- field rules


@pytest.mark.parametrize(
    "username",
    [
        "ab",
        "a" * 33,
        "bad name",
        "bad@name",
        "bad/name",
        "名字名字",
        "alice!",
        " alice",
        "alice\n",
        "alice\t",
    ],
    ids=["2-chars", "33-chars", "space", "at", "slash", "cjk", "bang", "leading-space", "newline", "tab"],
)
def test_register_with_invalid_username_returns_400_naming_it(gateway, username):
    response = gateway.register(registration(username=username))

    assert_bad_request(response, "username: ")


@pytest.mark.parametrize("username", ["abc", "a" * 32, "Alice_Smith-1.0"])
def test_register_with_username_at_the_limits_succeeds(gateway, username):
    response = gateway.register(registration(username=username))

    assert response.status == 200, response
    assert response.body["data"]["username"] == username


@pytest.mark.parametrize(
    "email",
    [
        "plainaddress",
        "missing-at.example.com",
        "a@b",
        "a@@example.com",
        "a b@example.com",
        "@example.com",
        "alice@",
        "alice@-example.com",
        "alice@example..com",
        "alice@example.com.",
        "x" * 65 + "@example.com",
        "a@" + "b" * 250 + ".com",
    ],
    ids=[
        "no-at",
        "no-at-dotted",
        "no-dot-domain",
        "double-at",
        "space",
        "no-local",
        "no-domain",
        "hyphen-domain",
        "double-dot",
        "trailing-dot",
        "long-local",
        "too-long",
    ],
)
def test_register_with_invalid_email_returns_400_naming_it(gateway, email):
    response = gateway.register(registration(email=email))

    assert_bad_request(response, "email: ")


@pytest.mark.parametrize("length", [7, 129])
def test_register_with_password_out_of_range_returns_400_naming_it(gateway, length):
    response = gateway.register(registration(password="p" * length))

    assert_bad_request(response, "password: ")


@pytest.mark.parametrize("length", [8, 128])
def test_register_with_password_at_the_limits_succeeds(gateway, length):
    response = gateway.register(registration(password="p" * length))

    assert response.status == 200, response


def test_register_with_65_char_nickname_returns_400_naming_it(gateway):
    response = gateway.register(registration(nickname="n" * 65))

    assert_bad_request(response, "nickname: ")


def test_register_with_64_char_nickname_succeeds(gateway):
    response = gateway.register(registration(nickname="n" * 64))

    assert response.status == 200
    assert response.body["data"]["nickname"] == "n" * 64


@pytest.mark.parametrize(
    "phone",
    ["phone", "12345", "1234567890123456", "++8613800138000", "138001380a0", "+", "-123456"],
)
def test_register_with_invalid_phone_returns_400_naming_it(gateway, phone):
    response = gateway.register(registration(phone=phone))

    assert_bad_request(response, "phone: ")


@pytest.mark.parametrize(
    "phone", ["+8613800138000", "13800138000", "138-0013-8000", "+1 (555) 123-4567", "123456"]
)
def test_register_with_valid_phone_succeeds_and_returns_it(gateway, phone):
    response = gateway.register(registration(phone=phone))

    assert response.status == 200, response
    assert response.body["data"]["phone"] == phone


def test_register_rejected_as_invalid_stores_nothing(gateway):
    body = registration()

    rejected = gateway.register({**body, "email": "not-an-email"})
    accepted = gateway.register(body)

    assert rejected.status == 400
    assert accepted.status == 200, accepted


def test_register_with_unsupported_content_type_returns_400(gateway):
    response = gateway.request(
        "POST", "/api/auth/register", "username=alice", headers={"Content-Type": "text/plain"}
    )

    assert response.status == 400
    assert response.body == {"code": 400, "message": "Content-Type must be application/json", "data": None}


# ----------------------------------------------------------------------------- transaction conflicts


def cancelled_by_conflict() -> ClientError:
    """What DynamoDB answers when a concurrent transaction holds one of the items."""
    return ClientError(
        {
            "Error": {
                "Code": "TransactionCanceledException",
                "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
                "[TransactionConflict, None, None]",
            },
            "CancellationReasons": [{"Code": "TransactionConflict"}, {"Code": "None"}, {"Code": "None"}],
        },
        "TransactWriteItems",
    )


def test_register_survives_a_transient_transaction_conflict(gateway, monkeypatch):
    gateway.register(registration())  # the table's first registration also creates the list's counts
    client = dynamodb.client()  # the application's (cached) client, inside the moto mock
    real_transact = client.transact_write_items
    attempts = []

    def conflict_once(**kwargs):
        attempts.append(kwargs)
        if len(attempts) == 1:
            raise cancelled_by_conflict()
        return real_transact(**kwargs)

    monkeypatch.setattr(client, "transact_write_items", conflict_once)

    response = gateway.register(registration())

    assert response.status == 200, response
    assert len(attempts) == 2
