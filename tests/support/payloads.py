"""Request bodies with unique usernames and emails (the e2e stack is shared by the whole session)."""

import uuid

PASSWORD = "correct horse battery"


def unique_suffix() -> str:
    return uuid.uuid4().hex[:10]


def registration(prefix: str = "user", **overrides) -> dict:
    """A valid registration body with a fresh username and email."""
    suffix = unique_suffix()
    body = {
        "username": f"{prefix}_{suffix}",
        "email": f"{prefix}.{suffix}@example.com",
        "password": PASSWORD,
    }
    body.update(overrides)
    return body


def login_for(registration_body: dict, *, by: str = "username", password: str | None = None) -> dict:
    return {
        "username": registration_body[by],
        "password": registration_body["password"] if password is None else password,
    }
