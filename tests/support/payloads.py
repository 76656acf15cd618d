"""Request bodies with unique usernames and emails (the e2e stack is shared by the whole session),
and a logged model call as the call log stores it."""

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


def model_call(
    user_id: int,
    created_at: str,
    *,
    model: str = "qwen-plus",
    tokens: int = 10,
    status: int = 200,
    api_key_id: int | None = None,
    client_ip: str = "203.0.113.5",
) -> dict:
    """A call-log entry (model_call_items.record_call's `call`) of `tokens` tokens at `created_at`."""
    return {
        "user_id": user_id,
        "api_key_id": api_key_id,
        "conversation_id": None,
        "message_id": None,
        "model_name": model,
        "api_endpoint": "/api/bailian/chat/completions",
        "status_code": status,
        "request_tokens": tokens // 2,
        "response_tokens": tokens - tokens // 2,
        "total_tokens": tokens,
        "call_duration": 5,
        "client_ip": client_ip,
        "created_at": created_at,
    }
