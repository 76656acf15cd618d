"""Request bodies of the self-service and admin account endpoints (strict, like register's)."""

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from bailian_chat.auth.models import _nickname, _not_blank, _password, _phone
from bailian_chat.content import HttpUrlText
from bailian_chat.request_models import StrictBody, documented

MONEY = re.compile(r"^(0|[1-9][0-9]{0,11})(\.[0-9]{1,6})?$")


PROFILE_FIELDS = ("nickname", "avatar_url", "phone")


class ProfileUpdate(StrictBody):
    """Fields left out stay as they are; null clears one."""

    nickname: Annotated[str | None, documented(maxLength=64), AfterValidator(_nickname)] = None
    avatar_url: HttpUrlText | None = None
    phone: Annotated[str | None, documented(pattern=r"^\+?[0-9]{6,15}$"), AfterValidator(_phone)] = None

    def changes(self) -> dict:
        return {name: getattr(self, name) for name in PROFILE_FIELDS if name in self.model_fields_set}


class PasswordChange(StrictBody):
    current_password: Annotated[str, Field(max_length=1024), AfterValidator(_not_blank)]
    new_password: Annotated[str, documented(minLength=8, maxLength=128), AfterValidator(_password)]


class AccountDeletion(StrictBody):
    password: Annotated[str, Field(max_length=1024), AfterValidator(_not_blank)]


def _money(value: str | None) -> str | None:
    """A ceiling in the deployment's currency: a plain decimal string, kept as sent (normalised)."""
    if value is None:
        return None
    if not MONEY.fullmatch(value):
        raise ValueError('must be a decimal amount as a string, e.g. "50.00" (at most 6 decimals)')
    try:
        return str(Decimal(value))
    except InvalidOperation as exc:  # the pattern admits only valid decimals; kept for safety
        raise ValueError("must be a decimal amount") from exc


Money = Annotated[str | None, documented(pattern=MONEY.pattern), AfterValidator(_money)]
UPDATABLE_BY_ADMIN = ("status", "role", "daily_limit_ceiling", "monthly_limit_ceiling")


class AdminUserUpdate(StrictBody):
    """Fields left out stay as they are; a null ceiling removes it."""

    status: Annotated[Literal[0, 1], Field(description="0 disabled, 1 active")] = None
    role: Literal["user", "admin"] = None
    daily_limit_ceiling: Money = None
    monthly_limit_ceiling: Money = None

    def changes(self) -> dict:
        return {name: getattr(self, name) for name in UPDATABLE_BY_ADMIN if name in self.model_fields_set}
