"""Path ids, paging numbers and dates are exactly what the spec says (issue 9, item 7): ids
`[1-9][0-9]*` below 2^53, page/limit plain decimal digits, dates exactly YYYY-MM-DD and a real
calendar day. Pydantic's lax int parsing took "033", "+33", " 33", "3_3" and "33.0" as 33, and
strptime took "2026-12- 2" (a '+' in the URL): all 400 now, naming the parameter."""

import pytest

NOT_PLAIN = "must be a whole number in plain digits (no sign, spaces, separators or leading zeros)"
BAD_DATE = "must be a date in YYYY-MM-DD format"


def spellings_of(number: int) -> list[str]:
    """Other ways of writing `number` that int() (and pydantic's lax mode) would accept."""
    return [
        f"0{number}",
        f"+{number}",
        f" {number}",
        f"{number} ",
        f"{number}.0",
        f"0_{number}",
    ]


@pytest.fixture
def conversation_id(gateway, signed_in) -> int:
    response = gateway.request(
        "POST", "/api/conversations", {"model_name": "qwen-plus", "title": "t"}, token=signed_in.access_token
    )
    assert response.status == 200, response
    return response.body["data"]["conversation_id"]


@pytest.fixture
def message_id(gateway, signed_in, conversation_id) -> int:
    body = {"content": [{"type": "text", "text": "hello"}], "generate": False}
    path = f"/api/conversations/{conversation_id}/messages"
    response = gateway.request("POST", path, body, token=signed_in.access_token)
    assert response.status == 200, response
    return response.body["data"]["message_id"]


def assert_400(response, message: str) -> None:
    assert response.status == 400, response
    assert response.body == {"code": 400, "message": message, "data": None}


@pytest.mark.parametrize(
    ("method", "template", "body"),
    [
        ("GET", "/api/conversations/{}", None),
        ("PUT", "/api/conversations/{}", {"title": "renamed"}),
        ("GET", "/api/conversations/{}/messages", None),
        (
            "POST",
            "/api/conversations/{}/messages",
            {"content": [{"type": "text", "text": "x"}], "generate": False},
        ),
        ("DELETE", "/api/conversations/{}", None),
    ],
)
def test_a_conversation_id_is_plain_digits(gateway, signed_in, conversation_id, method, template, body):
    for spelling in spellings_of(conversation_id):
        response = gateway.request(method, template.format(spelling), body, token=signed_in.access_token)

        assert_400(response, f"conversation_id: {NOT_PLAIN}")
    assert (
        gateway.request(method, template.format(conversation_id), body, token=signed_in.access_token).status
        == 200
    )


def test_a_message_id_is_plain_digits(gateway, signed_in, message_id):
    for spelling in spellings_of(message_id):
        response = gateway.request("DELETE", f"/api/messages/{spelling}", token=signed_in.access_token)

        assert_400(response, f"message_id: {NOT_PLAIN}")
    assert (
        gateway.request("DELETE", f"/api/messages/{message_id}", token=signed_in.access_token).status == 200
    )


@pytest.mark.parametrize(
    ("spelling", "message"),
    [
        ("0", "conversation_id: Input should be greater than 0"),
        (str(2**53), "conversation_id: Input should be less than or equal to 9007199254740991"),
        ("1" * 17, "conversation_id: is out of range"),
        ("1" * 5000, "conversation_id: is out of range"),
        ("-1", f"conversation_id: {NOT_PLAIN}"),
        ("\uff13", f"conversation_id: {NOT_PLAIN}"),  # a full-width digit
        ("1e3", f"conversation_id: {NOT_PLAIN}"),
    ],
)
def test_an_id_out_of_range_or_not_a_number_is_400(gateway, signed_in, spelling, message):
    assert_400(
        gateway.request("GET", f"/api/conversations/{spelling}", token=signed_in.access_token), message
    )


@pytest.mark.parametrize("parameter", ["page", "limit"])
@pytest.mark.parametrize("raw", ["05", "%2B5", "+5", "%205", "5%20", "5.0", "1_0", "1e1", "0x5", "9" * 5000])
@pytest.mark.parametrize("path", ["/api/conversations", "/api/history/api-calls"])
def test_paging_numbers_are_plain_digits(gateway, signed_in, path, parameter, raw):
    response = gateway.request("GET", f"{path}?{parameter}={raw}", token=signed_in.access_token)

    assert response.status == 400, response
    assert response.body["message"].startswith(f"{parameter}: "), response.body


def test_plain_paging_numbers_are_read_and_a_repeated_one_is_400(gateway, signed_in, conversation_id):
    path = f"/api/conversations/{conversation_id}/messages"
    data = gateway.request("GET", f"{path}?page=1&limit=100", token=signed_in.access_token).body["data"]
    repeated = gateway.request("GET", "/api/conversations?limit=1&limit=2", token=signed_in.access_token)

    assert data["pagination"]["per_page"] == 100
    assert repeated.status == 400, repeated  # as before: two values are not one number
    assert repeated.body["message"].startswith("limit: ")


@pytest.mark.parametrize("field", ["start_date", "end_date"])
@pytest.mark.parametrize(
    "raw",
    [
        "2026-12-+2",
        "2026-12-%202",
        "2026-12-2",
        "2026-02-30",
        "0000-01-01",
        "2026-12-02%20",
        "%EF%BC%92026-12-02",
    ],
)
@pytest.mark.parametrize("path", ["/api/history/api-calls", "/api/history/conversations/statistics"])
def test_a_date_is_exactly_a_calendar_day(gateway, signed_in, path, field, raw):
    response = gateway.request("GET", f"{path}?{field}={raw}", token=signed_in.access_token)

    assert response.status == 400, response
    assert response.body["message"] in (
        f"{field}: {BAD_DATE}",
        f"{field}: String should have at most 10 characters",
    )


def test_a_plain_date_is_read(gateway, signed_in):
    path = "/api/history/conversations/statistics?start_date=2026-12-01&end_date=2026-12-02"

    assert gateway.request("GET", path, token=signed_in.access_token).status == 200
