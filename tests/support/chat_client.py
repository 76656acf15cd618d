"""Helpers for the conversation and message suites: for e2e, a signed-in user on the shared local
stack and thin wrappers over the chat endpoints (the `*_ok` variants assert the happy path where a
test only arranges data); for unit tests, a deterministic clock."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from bailian_chat.clock import Instant

from tests.support import payloads
from tests.support.gateway_answers import NOT_AUTHENTICATED  # noqa: F401 - the suites import it here

CONVERSATION_FIELDS = {"conversation_id", "title", "model_name", "status", "created_at", "updated_at"}
MESSAGE_FIELDS = {
    "message_id",
    "conversation_id",
    "user_id",
    "role",
    "content_type",
    "content",
    "status",
    "created_at",
}
PAGINATION_FIELDS = {"current_page", "per_page", "total", "total_pages"}
DEFAULT_MODEL = "qwen-max"


def assistant_reply(reply: dict, conversation_id: int, text: str) -> dict:
    """The stored assistant message `reply` must equal: `text` in one text part, from user 0, status 1
    (its generated id and time taken from `reply` itself)."""
    return {
        "message_id": reply["message_id"],
        "conversation_id": conversation_id,
        "user_id": 0,
        "role": "assistant",
        "content_type": "text",
        "content": [{"type": "text", "text": text}],
        "status": 1,
        "created_at": reply["created_at"],
    }


class SteppingClock:
    """Stands in for `bailian_chat.clock.instant`: the first call answers `start` (epoch seconds),
    each later call `step_ms` milliseconds after the previous one, so orderings and timestamps are
    exact. `ticks` counts the calls."""

    def __init__(self, start: int = 1_735_689_600, step_ms: int = 1000):  # 2025-01-01T00:00:00Z
        self.next_ms = start * 1000
        self.step_ms = step_ms
        self.ticks = 0

    def __call__(self) -> Instant:
        epoch_ms = self.next_ms
        self.next_ms += self.step_ms
        self.ticks += 1
        moment = datetime.fromtimestamp(epoch_ms // 1000, UTC)
        return Instant(
            iso=moment.strftime("%Y-%m-%dT%H:%M:%SZ"), epoch_ms=epoch_ms, day=moment.strftime("%Y-%m-%d")
        )

    def iso_at(self, tick: int) -> str:
        """The ISO timestamp the clock answered (or will answer) at call number `tick` (0-based)."""
        epoch_ms = self.next_ms - (self.ticks - tick) * self.step_ms
        return datetime.fromtimestamp(epoch_ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class User:
    """A registered, logged-in user of the local stack."""

    user_id: int
    username: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def new_user(api: httpx.Client, prefix: str = "chat") -> User:
    """Registers a user with a unique username and logs in."""
    body = payloads.registration(prefix)
    registered = api.post("/api/auth/register", json=body)
    assert registered.status_code == 200, registered.text
    login = api.post("/api/auth/login", json=payloads.login_for(body))
    assert login.status_code == 200, login.text
    data = login.json()["data"]
    return User(user_id=data["user"]["user_id"], username=body["username"], access_token=data["access_token"])


def text_content(text: str) -> list[dict]:
    return [{"type": "text", "text": text}]


class ChatApi:
    """The chat endpoints as one user calls them. Methods return the raw httpx response; the
    `*_ok` variants assert 200 and return `data`."""

    def __init__(self, api: httpx.Client, user: User):
        self.api = api
        self.user = user

    # Conversations

    def create(self, body: Any) -> httpx.Response:
        return self.api.post("/api/conversations", json=body, headers=self.user.headers)

    def create_ok(self, title: str | None = None, model_name: str = DEFAULT_MODEL) -> dict:
        body: dict[str, Any] = {"model_name": model_name}
        if title is not None:
            body["title"] = title
        response = self.create(body)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def listing(self, **params: Any) -> httpx.Response:
        return self.api.get("/api/conversations", params=params, headers=self.user.headers)

    def listing_ok(self, **params: Any) -> dict:
        response = self.listing(**params)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def get(self, conversation_id: Any) -> httpx.Response:
        return self.api.get(f"/api/conversations/{conversation_id}", headers=self.user.headers)

    def update(self, conversation_id: Any, body: Any) -> httpx.Response:
        return self.api.put(f"/api/conversations/{conversation_id}", json=body, headers=self.user.headers)

    def update_raw(self, conversation_id: Any, content: bytes) -> httpx.Response:
        return self.api.put(
            f"/api/conversations/{conversation_id}",
            content=content,
            headers={**self.user.headers, "Content-Type": "application/json"},
        )

    def delete(self, conversation_id: Any) -> httpx.Response:
        return self.api.delete(f"/api/conversations/{conversation_id}", headers=self.user.headers)

    # Messages

    def send(self, conversation_id: Any, body: Any) -> httpx.Response:
        return self.api.post(
            f"/api/conversations/{conversation_id}/messages", json=body, headers=self.user.headers
        )

    def send_raw(self, conversation_id: Any, content: bytes) -> httpx.Response:
        return self.api.post(
            f"/api/conversations/{conversation_id}/messages",
            content=content,
            headers={**self.user.headers, "Content-Type": "application/json"},
        )

    def send_ok(self, conversation_id: int, content: list[dict] | str, generate: bool = False) -> dict:
        parts = text_content(content) if isinstance(content, str) else content
        response = self.send(conversation_id, {"content": parts, "generate": generate})
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def history(self, conversation_id: Any, **params: Any) -> httpx.Response:
        return self.api.get(
            f"/api/conversations/{conversation_id}/messages", params=params, headers=self.user.headers
        )

    def history_ok(self, conversation_id: int, **params: Any) -> dict:
        response = self.history(conversation_id, **params)
        assert response.status_code == 200, response.text
        return response.json()["data"]

    def delete_message(self, message_id: Any) -> httpx.Response:
        return self.api.delete(f"/api/messages/{message_id}", headers=self.user.headers)


def bad_request_message(response: httpx.Response) -> str:
    """The message of a 400 envelope (asserting the envelope's shape)."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"code", "message", "data"}
    assert body["code"] == 400
    assert body["data"] is None
    assert isinstance(body["message"], str) and body["message"]
    return body["message"]


def success_data(response: httpx.Response, message: str) -> Any:
    """The `data` of a 200 envelope with the given message (asserting the envelope's shape)."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"code", "message", "data"}
    assert body["code"] == 200
    assert body["message"] == message
    return body["data"]


def error(code: int, message: str) -> dict:
    """The exact envelope of an error answer."""
    return {"code": code, "message": message, "data": None}


def assert_error(response: httpx.Response, code: int, message: str) -> None:
    assert response.status_code == code, response.text
    assert response.json() == error(code, message)
