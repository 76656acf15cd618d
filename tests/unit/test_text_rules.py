"""Invisible and control characters (issue 9, item 8). Titles of only zero-width or filler
characters, or of NUL, were stored; NUL was accepted in nicknames and message text. Now control
characters (Cc) are 400 in every text field (message text keeps tab, LF and CR), and a title with
nothing visible is 400 like a blank one. The rules live in bailian_chat/text_rules.py."""

import sys
import unicodedata

import pytest
from bailian_chat import text_rules

from tests.support.payloads import registration

INVISIBLE = [
    "\u200b",  # zero-width space (Cf)
    "\ufeff",  # BOM (Cf)
    "\u2060",  # word joiner (Cf)
    "\u202e",  # right-to-left override (Cf)
    "\u00ad",  # soft hyphen (Cf)
    "\u3164",  # Hangul filler
    "\u115f\u1160",  # Hangul choseong/jungseong fillers
    "\uffa0",  # halfwidth Hangul filler
    "\u2800",  # braille blank
    "\u034f",  # combining grapheme joiner
    "\ufe0f",  # variation selector
    "\U000e0041",  # tag latin capital A
    "\u3000\u00a0\u2028",  # ideographic space, no-break space, line separator
    "\u200b \u200c\u200d \u3164",
]
CONTROLS = ["\u0000", "\u0007", "\u001b", "\u007f", "\u0085", "\u009f"]
NOT_EMPTY = "must not be empty"


def control_message(character: str) -> str:
    return f"must not contain control characters (found U+{ord(character):04X})"


def test_the_control_character_patterns_are_exactly_category_cc():
    cc = {chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cc"}
    matched = {chr(c) for c in range(0x110000) if text_rules.ANY_CONTROL_CHARACTER.match(chr(c))}
    in_messages = {chr(c) for c in range(0x110000) if text_rules.CONTROL_EXCEPT_LINE_BREAKS.match(chr(c))}

    assert matched == cc
    assert in_messages == cc - {"\t", "\n", "\r"}


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_text_shows_nothing(text):
    assert not text_rules.shows_something(text)


@pytest.mark.parametrize("text", ["a", "\u200bx", "\u3164\u3131", "\U0001f600", "\u0301", "\u4e2d"])
def test_visible_text_shows_something(text):
    assert text_rules.shows_something(text)


# ---------------------------------------------------------------- through the handlers


@pytest.fixture
def create(gateway, signed_in):
    def _create(title):
        body = {"model_name": "qwen-plus", "title": title}
        return gateway.request("POST", "/api/conversations", body, token=signed_in.access_token)

    return _create


@pytest.fixture
def conversation_id(create) -> int:
    return create("mine").body["data"]["conversation_id"]


def assert_400(response, message: str) -> None:
    assert response.status == 400, response
    assert response.body == {"code": 400, "message": message, "data": None}


@pytest.mark.parametrize("title", INVISIBLE)
def test_a_title_with_nothing_visible_is_400_like_a_blank_one(
    gateway, signed_in, create, conversation_id, title
):
    assert_400(create(title), f"title: {NOT_EMPTY}")
    renamed = gateway.request(
        "PUT", f"/api/conversations/{conversation_id}", {"title": title}, token=signed_in.access_token
    )
    assert_400(renamed, f"title: {NOT_EMPTY}")


@pytest.mark.parametrize("character", [*CONTROLS, "\t"])
@pytest.mark.parametrize("where", ["a{}b", "{}ab", "ab{}", "{}"])
def test_a_title_with_a_control_character_is_400(create, character, where):
    title = where.format(character)
    blank = not title.strip()  # a tab or NEL alone is blank text

    assert_400(create(title), f"title: {NOT_EMPTY if blank else control_message(character)}")


def test_a_title_with_a_visible_character_among_invisible_ones_is_kept_as_sent(create):
    response = create("\u200bhi\u200b")

    assert response.status == 200, response
    assert response.body["data"]["title"] == "\u200bhi\u200b"


@pytest.mark.parametrize("character", CONTROLS)
def test_a_nickname_with_a_control_character_is_400(gateway, character):
    assert_400(
        gateway.register(registration(nickname=f"Al{character}ice")),
        f"nickname: {control_message(character)}",
    )


@pytest.mark.parametrize("nickname", ["\u200b", "\u3164", " \u2800 "])
def test_a_nickname_with_nothing_visible_is_no_nickname_like_a_blank_one(gateway, nickname):
    response = gateway.register(registration(nickname=nickname))

    assert response.status == 200, response
    assert response.body["data"]["nickname"] is None


@pytest.mark.parametrize("character", ["\u0000", "\u001b"])
def test_a_login_name_with_a_control_character_is_400(gateway, character):
    response = gateway.login({"username": f"alice{character}", "password": "whatever password"})

    assert_400(response, f"username: {control_message(character)}")


def send(gateway, signed_in, conversation_id, content):
    body = {"content": content, "generate": False}
    path = f"/api/conversations/{conversation_id}/messages"
    return gateway.request("POST", path, body, token=signed_in.access_token)


@pytest.mark.parametrize("character", CONTROLS)
def test_message_text_with_a_control_character_is_400(gateway, signed_in, conversation_id, character):
    content = [{"type": "text", "text": "ok"}, {"type": "text", "text": f"bad{character}"}]

    assert_400(
        send(gateway, signed_in, conversation_id, content), f"content.1.text: {control_message(character)}"
    )


def test_message_text_keeps_tab_lf_and_cr(gateway, signed_in, conversation_id):
    text = "line one\r\nline two\n\tindented"

    response = send(gateway, signed_in, conversation_id, [{"type": "text", "text": text}])

    assert response.status == 200, response
    assert response.body["data"]["content"] == [{"type": "text", "text": text}]


def test_a_media_url_with_a_control_character_is_400(gateway, signed_in, conversation_id):
    content = [{"type": "image_url", "image_url": {"url": "https://example.com/a\u0000.png"}}]

    assert_400(
        send(gateway, signed_in, conversation_id, content),
        f"content.0.image_url.url: {control_message(chr(0))}",
    )


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("hi\u0000", "messages.0.content"),
        ([{"type": "text", "text": "hi\u0007"}], "messages.0.content.0.text"),
    ],
)
def test_proxy_message_content_with_a_control_character_is_400(gateway, signed_in, content, field):
    body = {"model": "qwen-plus", "messages": [{"role": "user", "content": content}]}

    response = gateway.request("POST", "/api/bailian/chat/completions", body, token=signed_in.access_token)

    assert response.status == 400, response
    assert response.body["message"].startswith(f"{field}"), response.body
    assert "control characters" in response.body["message"]
