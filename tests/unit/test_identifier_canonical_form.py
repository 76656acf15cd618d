"""Emails and usernames have one canonical form for storing, claiming and looking up (issue 9,
item 6). Uniqueness used str.lower(), which maps the Kelvin sign U+212A to "k": "\u212aabc@..."
registered, then blocked kabc@... (409), and logging in as kabc@... opened the first account.
Emails are now ASCII (a non-ASCII one is 400), stored lower-cased, claimed and looked up in that
form; a non-ASCII login name matches no account."""

import pytest
from bailian_chat.store import keys

from tests.support.payloads import PASSWORD, registration, unique_suffix

KELVIN = "\u212a"


def login(gateway, name: str, password: str = PASSWORD):
    return gateway.login({"username": name, "password": password})


def test_a_kelvin_sign_email_is_refused_and_leaves_the_ascii_one_free(gateway):
    suffix = unique_suffix()

    kelvin = gateway.register(registration(email=f"{KELVIN}abc{suffix}@example.com"))
    ascii_one = gateway.register(registration(email=f"kabc{suffix}@example.com"))

    assert kelvin.status == 400, kelvin
    assert kelvin.body["message"] == (
        "email: must be an ASCII email address (an internationalised domain in its xn-- form)"
    )
    assert ascii_one.status == 200, ascii_one


@pytest.mark.parametrize(
    "email",
    [
        "j\u00fcrgen@example.com",  # non-ASCII local part
        "alice@b\u00fccher.example",  # a domain not in its xn-- form
        "\uff41lice@example.com",  # full-width a (NFKC: "a")
        "alice\u0000@example.com",
        "alice\u007f@example.com",
        "al\u200bice@example.com",
    ],
)
def test_a_non_ascii_or_control_character_email_is_400(gateway, email):
    response = gateway.register(registration(email=email))

    assert response.status == 400, response
    assert response.body["message"].startswith("email: "), response.body


def test_the_stored_email_the_claim_and_the_login_lookup_are_one_form(gateway, get_item):
    suffix = unique_suffix()
    typed = f"  Alice.{suffix}@Example.COM "

    response = gateway.register(registration(email=typed))

    assert response.status == 200, response
    canonical = f"alice.{suffix}@example.com"
    user_id = response.body["data"]["user_id"]
    assert response.body["data"]["email"] == canonical
    assert get_item(keys.user(user_id))["email"] == canonical
    assert get_item((f"EMAIL#{canonical}", "UNIQUE"))["user_id"] == user_id
    assert gateway.register(registration(email=canonical)).status == 409
    assert login(gateway, typed.strip().upper()).status == 200
    assert login(gateway, canonical).status == 200


def test_a_kelvin_sign_login_name_opens_no_account(gateway, register):
    user = register(username=f"kelvin_{unique_suffix()}", email=f"kabc{unique_suffix()}@example.com")

    by_email = login(gateway, KELVIN + user["email"][1:])
    by_name = login(gateway, KELVIN + user["username"][1:])

    assert (by_email.status, by_name.status) == (401, 401), (by_email, by_name)
    assert login(gateway, user["email"].upper()).status == 200
    assert login(gateway, user["username"].upper()).status == 200


@pytest.mark.parametrize("username", [f"{KELVIN}elvin", "\u0130stanbul", "caf\u00e9_x", "ab\u0000c"])
def test_a_non_ascii_username_is_400(gateway, username):
    response = gateway.register(registration(username=username))

    assert response.status == 400, response
    assert response.body["message"].startswith("username: ")
