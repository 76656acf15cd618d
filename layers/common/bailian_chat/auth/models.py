"""Request bodies of the auth endpoints, validated strictly (a number is not a string)."""

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from bailian_chat.request_models import StrictBody, documented
from bailian_chat.text_rules import identifier_key, single_line_text, visible_line

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.\-]{3,32}$")
# ASCII only (see text_rules): the local part is printable ASCII without '@' (no space, no control).
EMAIL_PATTERN = re.compile(
    r"^[!-?A-~]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)+$"
)
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 \-().]{4,22}$")
PHONE_DIGITS = range(6, 16)  # E.164 allows at most 15 digits


def _username(value: str) -> str:
    if not USERNAME_PATTERN.fullmatch(value):
        raise ValueError("must be 3-32 characters of letters, digits, '_', '.' or '-'")
    return value


def _email(value: str) -> str:
    """Stored, claimed and looked up in one canonical form: ASCII, lower-cased."""
    value = value.strip()
    if not value.isascii():
        raise ValueError("must be an ASCII email address (an internationalised domain in its xn-- form)")
    if len(value) > 254 or not EMAIL_PATTERN.fullmatch(value):
        raise ValueError("must be a valid email address")
    return identifier_key(value)


def _password(value: str) -> str:
    if not 8 <= len(value) <= 128:
        raise ValueError("must be 8-128 characters")
    return value


def _nickname(value: str | None) -> str | None:
    if value is None:
        return None
    value = visible_line(value)  # None when nothing shows: as if left blank
    if value is not None and len(value) > 64:
        raise ValueError("must be at most 64 characters")
    return value


def _phone(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    digits = sum(ch.isdigit() for ch in value)
    if not PHONE_PATTERN.match(value) or digits not in PHONE_DIGITS:
        raise ValueError("must be a phone number of 6-15 digits, optionally starting with '+'")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


class RegisterRequest(StrictBody):
    username: Annotated[str, documented(pattern=USERNAME_PATTERN.pattern), AfterValidator(_username)]
    email: Annotated[str, documented(format="email", maxLength=254), AfterValidator(_email)]
    password: Annotated[str, documented(minLength=8, maxLength=128), AfterValidator(_password)]
    nickname: Annotated[str | None, documented(maxLength=64), AfterValidator(_nickname)] = None
    phone: Annotated[str | None, documented(pattern=r"^\+?[0-9]{6,15}$"), AfterValidator(_phone)] = None


class LoginRequest(StrictBody):
    username: Annotated[
        str, Field(max_length=254), AfterValidator(single_line_text), AfterValidator(_not_blank)
    ]
    password: Annotated[str, Field(max_length=1024), AfterValidator(_not_blank)]


class RefreshRequest(StrictBody):
    refresh_token: Annotated[str, Field(max_length=4096), AfterValidator(_not_blank)]
