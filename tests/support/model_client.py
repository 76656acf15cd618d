"""HTTP helpers for the model-path e2e tests: users, proxy calls, conversation sends, the call log.

Everything goes through the local gateway like a real client would; usernames are unique because
the e2e stack is shared by the whole session.
"""

import math
import uuid

import httpx

from tests.support.chat_client import User, new_user

PROXY_PATH = "/api/bailian/chat/completions"
SEND_ENDPOINT = "/api/conversations/{conversation_id}/messages"
HISTORY_PATH = "/api/history/api-calls"
STATISTICS_PATH = "/api/history/conversations/statistics"
UNAVAILABLE = "Bailian API service unavailable"
RATE_LIMITED = "Request rate limit exceeded"

# The fake Bailian's deterministic token formula (local/fake_bailian/).
PER_MESSAGE_TOKENS = 4
IMAGE_TOKENS = 256
VIDEO_TOKENS = 1024


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def prompt_tokens(messages: list[tuple[str, list[dict] | str]]) -> int:
    """The fake's prompt_tokens for (role, content) pairs."""
    total = 0
    for _role, content in messages:
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        total += PER_MESSAGE_TOKENS
        for part in parts:
            if part["type"] == "text":
                total += text_tokens(part["text"])
            elif part["type"] == "image_url":
                total += IMAGE_TOKENS
            else:
                total += VIDEO_TOKENS
    return total


def unique_text(text: str = "hello") -> str:
    """Distinct text per request, so the fake's `#fault:<kind>x<N>` counters never collide."""
    return f"{text} [{uuid.uuid4().hex[:8]}]"


def text_part(text: str) -> dict:
    return {"type": "text", "text": text}


# One user type and sign-up for every e2e suite (tests/support/chat_client.py).
ApiUser = User
sign_up = new_user


def chat_body(text: str, model: str = "qwen-plus", **extra) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": [text_part(text)]}], **extra}


def proxy(api: httpx.Client, user: ApiUser, body: dict) -> httpx.Response:
    return api.post(PROXY_PATH, json=body, headers=user.headers)


def create_conversation(api: httpx.Client, user: ApiUser, model: str = "qwen-plus") -> dict:
    response = api.post(
        "/api/conversations", json={"model_name": model, "title": "model path"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def send(
    api: httpx.Client, user: ApiUser, conversation_id: int, content: list[dict], **extra
) -> httpx.Response:
    return api.post(
        f"/api/conversations/{conversation_id}/messages",
        json={"content": content, **extra},
        headers=user.headers,
    )


def messages_of(api: httpx.Client, user: ApiUser, conversation_id: int) -> dict:
    response = api.get(
        f"/api/conversations/{conversation_id}/messages", params={"limit": 100}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]


def history(api: httpx.Client, user: ApiUser, **params) -> httpx.Response:
    return api.get(HISTORY_PATH, params=params, headers=user.headers)


def history_page(api: httpx.Client, user: ApiUser, **params) -> dict:
    response = history(api, user, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 200 and body["message"] == "Retrieval successful"
    return body["data"]


def all_calls(api: httpx.Client, user: ApiUser, **params) -> tuple[list[dict], int]:
    """Every logged call (pages of 100, newest first) and the total the first page reported."""
    first = history_page(api, user, page=1, limit=100, **params)
    total = first["pagination"]["total"]
    calls = list(first["api_calls"])
    for page in range(2, first["pagination"]["total_pages"] + 1):
        data = history_page(api, user, page=page, limit=100, **params)
        assert data["pagination"]["total"] == total
        calls.extend(data["api_calls"])
    return calls, total


def latest_call(api: httpx.Client, user: ApiUser) -> dict:
    calls = history_page(api, user, page=1, limit=1)["api_calls"]
    assert len(calls) == 1
    return calls[0]


def statistics(api: httpx.Client, user: ApiUser, **params) -> httpx.Response:
    return api.get(STATISTICS_PATH, params=params, headers=user.headers)


def statistics_data(api: httpx.Client, user: ApiUser, **params) -> dict:
    response = statistics(api, user, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["code"] == 200 and body["message"] == "Retrieval successful"
    return body["data"]
