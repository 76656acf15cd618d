"""Request bodies of the conversation and message endpoints (spec 2.1, 2.4, 3.1): what is
accepted, what is rejected, and the 400 message naming the field (bailian_chat.api.request_body)."""

import pytest
from bailian_chat.api.request_body import validation_message
from bailian_chat.chat.models import (
    ChatCompletionRequest,
    CreateConversationRequest,
    SendMessageOptions,
    UpdateConversationRequest,
)
from bailian_chat.config import DEFAULT_MODELS
from bailian_chat.content import content_type_of
from pydantic import ValidationError

CONFIGURED_MODELS = list(DEFAULT_MODELS)  # what the settings allow when ALLOWED_MODELS is unset
NOT_A_STRING = "has the wrong type (input should be a valid string)"
NOT_A_BOOLEAN = "has the wrong type (input should be a valid boolean)"
NOT_HTTP = "must be an http or https URL"


def rejection(model, body) -> str:
    """The 400 message the API would answer for `body`."""
    with pytest.raises(ValidationError) as raised:
        model.model_validate(body)
    return validation_message(list(raised.value.errors()))


def assert_message(actual: str, expected: str) -> None:
    """Exact, except that an expectation ending in "..." is a prefix: the field and the kind of
    error are ours, the rest of pydantic's wording may change between versions."""
    if expected.endswith("..."):
        assert actual.startswith(expected.removesuffix("...")), actual
    else:
        assert actual == expected


def text(value: str) -> dict:
    return {"type": "text", "text": value}


def image(url: str) -> dict:
    return {"type": "image_url", "image_url": {"url": url}}


def video(url: str) -> dict:
    return {"type": "video_url", "video_url": {"url": url}}


# ----------------------------------------------------------------------------- create / update


@pytest.mark.parametrize("model_name", CONFIGURED_MODELS)
def test_create_accepts_every_configured_model(model_name, unit_env):
    request = CreateConversationRequest.model_validate({"model_name": model_name})

    assert request.model_name == model_name
    assert request.title is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "model_name: is required"),
        ({"title": "x"}, "model_name: is required"),
        ({"model_name": None}, f"model_name: {NOT_A_STRING}"),
        ({"model_name": 7}, f"model_name: {NOT_A_STRING}"),
        ({"model_name": "gpt-4o"}, "model_name: must be one of: " + ", ".join(CONFIGURED_MODELS)),
        ({"model_name": "QWEN-MAX"}, "model_name: must be one of: " + ", ".join(CONFIGURED_MODELS)),
        ({"model_name": ""}, "model_name: must be one of: " + ", ".join(CONFIGURED_MODELS)),
        ({"model_name": "qwen-max", "title": ""}, "title: must not be empty"),
        ({"model_name": "qwen-max", "title": " \t "}, "title: must not be empty"),
        ({"model_name": "qwen-max", "title": "x" * 201}, "title: must be at most 200 characters"),
        (
            {"model_name": "qwen-max", "title": 12},
            f"title: {NOT_A_STRING}",
        ),
        (
            {"model_name": "qwen-max", "title": ["a"]},
            f"title: {NOT_A_STRING}",
        ),
    ],
)
def test_create_rejects_bad_bodies_naming_the_field(body, message, unit_env):
    assert rejection(CreateConversationRequest, body) == message


def test_create_accepts_a_title_of_exactly_200_characters(unit_env):
    request = CreateConversationRequest.model_validate({"model_name": "qwen-plus", "title": "t" * 200})

    assert request.title == "t" * 200


def test_create_request_body_that_is_not_an_object_is_rejected(unit_env):
    assert rejection(CreateConversationRequest, ["qwen-max"]) == "Request body must be a JSON object"


@pytest.mark.parametrize("body", [{}, {"title": None}])
def test_update_without_title_means_no_change(body):
    assert UpdateConversationRequest.model_validate(body).title is None


@pytest.mark.parametrize(
    ("title", "message"),
    [
        ("", "title: must not be empty"),
        ("   ", "title: must not be empty"),
        ("y" * 201, "title: must be at most 200 characters"),
        (3.5, f"title: {NOT_A_STRING}"),
        (True, f"title: {NOT_A_STRING}"),
    ],
)
def test_update_rejects_bad_titles(title, message):
    assert rejection(UpdateConversationRequest, {"title": title}) == message


def test_update_accepts_a_200_character_title():
    assert UpdateConversationRequest.model_validate({"title": "z" * 200}).title == "z" * 200


# ----------------------------------------------------------------------------- send


def test_send_defaults_to_generating_a_reply():
    assert SendMessageOptions.model_validate({"content": [text("hi")]}).generate is True
    assert SendMessageOptions.model_validate({"content": [text("hi")], "generate": False}).generate is False


@pytest.mark.parametrize("count", [1, 20])
def test_send_accepts_one_to_twenty_parts(count):
    request = SendMessageOptions.model_validate({"content": [text(f"p{i}") for i in range(count)]})

    assert len(request.content) == count


def test_send_accepts_text_of_exactly_32000_characters():
    request = SendMessageOptions.model_validate({"content": [text("a" * 32_000)]})

    assert request.content[0].text == "a" * 32_000


@pytest.mark.parametrize("scheme", ["http", "https", "HTTPS"])
def test_send_accepts_http_and_https_media_urls_up_to_2048_characters(scheme):
    url = f"{scheme}://example.com/"
    url += "a" * (2048 - len(url))

    request = SendMessageOptions.model_validate({"content": [image(url), video(url)]})

    assert [part.model_dump() for part in request.content] == [image(url), video(url)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ([], "content: List should have at least 1 item..."),
        (
            [text("p")] * 21,
            "content: List should have at most 20 items...",
        ),
        ("hello", "content: has the wrong type (input should be a valid list)"),
        ({"type": "text", "text": "hi"}, "content: has the wrong type (input should be a valid list)"),
        (None, "content: has the wrong type (input should be a valid list)"),
        (["hello"], "content.0: has the wrong type (input should be a valid dictionary..."),
        ([{"text": "no type"}], "content.0.type: is required"),
        ([{"type": "audio", "text": "x"}], "content.0.type: must be one of 'text', 'image_url', 'video_url'"),
        ([{"type": "TEXT", "text": "x"}], "content.0.type: must be one of 'text', 'image_url', 'video_url'"),
        ([text("ok"), {"type": "file"}], "content.1.type: must be one of 'text', 'image_url', 'video_url'"),
        ([{"type": "text"}], "content.0.text: is required"),
        ([text("")], "content.0.text: String should have at least 1 character..."),
        (
            [{"type": "text", "text": 42}],
            f"content.0.text: {NOT_A_STRING}",
        ),
        ([text("a" * 32_001)], "content.0.text: String should have at most 32000 characters..."),
        ([{"type": "image_url"}], "content.0.image_url: is required"),
        ([{"type": "image_url", "image_url": {}}], "content.0.image_url.url: is required"),
        (
            [{"type": "image_url", "image_url": "https://example.com/a.png"}],
            "content.0.image_url: has the wrong type (input should be a valid dictionary...",
        ),
        ([{"type": "video_url"}], "content.0.video_url: is required"),
        (
            [{"type": "video_url", "video_url": {"url": None}}],
            f"content.0.video_url.url: {NOT_A_STRING}",
        ),
        ([image("ftp://example.com/a.png")], f"content.0.image_url.url: {NOT_HTTP}"),
        ([image("javascript:alert(1)")], f"content.0.image_url.url: {NOT_HTTP}"),
        ([image("/images/a.png")], f"content.0.image_url.url: {NOT_HTTP}"),
        ([image("//example.com/a.png")], f"content.0.image_url.url: {NOT_HTTP}"),
        (
            [image("data:image/png;base64,iVBORw0KGgo=")],
            f"content.0.image_url.url: {NOT_HTTP}",
        ),
        ([image("https://exa mple.com/a.png")], f"content.0.image_url.url: {NOT_HTTP}"),
        ([video("file:///etc/passwd")], f"content.0.video_url.url: {NOT_HTTP}"),
        (
            [image("https://example.com/" + "a" * 2029)],
            "content.0.image_url.url: String should have at most 2048 characters...",
        ),
        (
            [text("ok"), video("https://example.com/" + "v" * 2029)],
            "content.1.video_url.url: String should have at most 2048 characters...",
        ),
    ],
)
def test_send_rejects_bad_content_naming_the_field(content, message):
    assert_message(rejection(SendMessageOptions, {"content": content}), message)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "content: is required"),
        ({"text": "hi"}, "content: is required"),
        (
            {"content": [text("hi")], "generate": "no"},
            f"generate: {NOT_A_BOOLEAN}",
        ),
        (
            {"content": [text("hi")], "generate": 0},
            f"generate: {NOT_A_BOOLEAN}",
        ),
        ([text("hi")], "Request body must be a JSON object"),
    ],
)
def test_send_rejects_bad_bodies(body, message):
    assert rejection(SendMessageOptions, body) == message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ([text("a")], "text"),
        ([text("a"), text("b")], "text"),
        ([image("https://example.com/a.png")], "multimodal"),
        ([video("https://example.com/a.mp4")], "multimodal"),
        ([text("a"), image("https://example.com/a.png")], "multimodal"),
    ],
)
def test_content_type_is_text_only_when_every_part_is_text(content, expected):
    parts = SendMessageOptions.model_validate({"content": content}).content

    assert content_type_of(parts) == expected


# ---------------------------------------------------------------- the spec proxy (4.1) and streaming

PROXY_BODY = {"model": "qwen-plus", "messages": [{"role": "user", "content": "hi"}]}


def test_the_proxy_refuses_stream_true_naming_the_streaming_route():
    """It used to drop the field silently and answer buffered."""
    message = rejection(ChatCompletionRequest, {**PROXY_BODY, "stream": True})

    assert message == "stream: streaming is not supported here; use POST /v1/chat/completions"


@pytest.mark.parametrize("stream", [False, "absent"])
def test_the_proxy_still_accepts_stream_false_or_absent(stream):
    body = PROXY_BODY if stream == "absent" else {**PROXY_BODY, "stream": stream}

    assert ChatCompletionRequest.model_validate(body).model == "qwen-plus"


def test_the_proxy_answers_400_to_stream_true_through_the_gateway(gateway, signed_in):
    response = gateway.request(
        "POST", "/api/bailian/chat/completions", {**PROXY_BODY, "stream": True}, token=signed_in.access_token
    )

    assert response.status == 400
    assert response.body == {
        "code": 400,
        "message": "stream: streaming is not supported here; use POST /v1/chat/completions",
        "data": None,
    }
