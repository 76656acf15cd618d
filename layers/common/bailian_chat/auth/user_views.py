"""A user as the API shows them (never the password hash or internal attributes), and the signed-in
user's own record. Apart from `service` so that what only shows users imports neither PyJWT nor
argon2 (the admin and self-service functions)."""

from typing import Any

from bailian_chat.auth.callers import ROLE_USER
from bailian_chat.auth.responses import CurrentUser, User
from bailian_chat.errors import Unauthorized
from bailian_chat.response_models import ResponseModel
from bailian_chat.store import user_items


def public_user(user: dict, shape: type[ResponseModel] = User, **values: Any) -> dict:
    """The user as `shape` shows it: never the password hash or internal attributes."""
    return shape.pick(user, role=user.get("role") or ROLE_USER, **values)


def current_user(user_id: int) -> dict:
    user = user_items.get_user(user_id)
    if user is None:
        raise Unauthorized()
    return public_user(user, CurrentUser)
