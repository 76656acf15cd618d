"""Request bodies Powertools cannot read (found by `make fuzz`): 400 with a message, never 500."""

import base64

import pytest

from tests.support.events import HandlerResponse, LambdaContext, api_event


def send(load_function, event: dict) -> HandlerResponse:
    function = load_function("auth_register")
    return HandlerResponse.from_result(function.handler(event, LambdaContext()))


def test_a_body_that_is_not_utf_8_is_400(load_function):
    event = api_event("POST", "/api/auth/register", "{}")
    event.update(body=base64.b64encode(b'{"username": "\x80\x81"}').decode(), isBase64Encoded=True)

    response = send(load_function, event)

    assert response.status == 400, response
    assert response.body == {"code": 400, "message": "Request body must be UTF-8 encoded JSON", "data": None}


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary="])
def test_multipart_without_a_boundary_is_400(load_function, content_type):
    event = api_event("POST", "/api/auth/register", '{"username": "alice"}', {"Content-Type": content_type})

    response = send(load_function, event)

    assert response.status == 400, response
    assert response.body == {"code": 400, "message": "Content-Type must be application/json", "data": None}


def test_other_value_errors_are_still_500(load_function, monkeypatch):
    function = load_function("auth_register")

    def broken(request):
        raise ValueError("a bug, not bad input")

    monkeypatch.setattr(function.service, "register", broken)
    event = api_event(
        "POST",
        "/api/auth/register",
        '{"username": "alice", "email": "alice@example.com", "password": "correct horse"}',
    )

    response = HandlerResponse.from_result(function.handler(event, LambdaContext()))

    assert response.status == 500, response
    assert response.body["message"] == "Server internal error"


def test_a_lone_surrogate_in_a_json_string_is_400(load_function):
    event = api_event("POST", "/api/auth/register", '{"username": "alice", "email": "a\\ud800@b.co"}')

    response = send(load_function, event)

    assert response.status == 400, response
    assert response.body == {
        "code": 400,
        "message": "Request body must be valid Unicode text (no lone surrogates)",
        "data": None,
    }
