"""The simulated users of `make load` (run by `python -m load`, which starts locust on this file).

Each user registers and logs in on start, then runs weighted tasks over every endpoint; model
calls (a send with a reply, the proxy) are most of the traffic. Every response is judged by
load.checks: a 2xx envelope, or a 429 from the per-user model-call limit on a model-calling
endpoint; anything else is a locust failure with a precise message. What each user did that the
server must have logged goes into a ledger file (LOAD_LEDGER) for the consistency check.

Settings come from the environment (python -m load sets them): LOAD_LEDGER, LOAD_WAIT ("min,max"
seconds between tasks), LOAD_FAULT_RATE (share of model calls carrying a fake-Bailian fault marker
whose outcome is known), LOAD_MAX_REQUESTS (the whole run stops after this many requests),
LOAD_SEED.
"""

import datetime as dt
import math
import os
import random
import sys
import threading
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import gevent
from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `load` when locust runs this file

from load.checks import (
    PROXY_PATH,
    Ledger,
    UserLedger,
    Verdict,
    endpoint_stats,
    judge_plain,
    judge_proxy,
    judge_send,
    parse_json,
)

MODELS = ("qwen-plus", "qwen-turbo", "qwen-max", "qwen-vl-max-latest", "qwen-vl-plus")
VISION_MODELS = ("qwen-vl-max-latest", "qwen-vl-plus")
PROMPTS = (
    "Plan a three day trip to Kyoto",
    "Summarise the plot of Hamlet in two sentences",
    "What is the difference between a list and a tuple in Python?",
    "Give me a recipe for a quick vegetarian dinner",
    "Explain eventual consistency to a new engineer",
    "Translate 'good morning' into Japanese and Chinese",
)
IMAGES = ("https://example.com/cat.png", "https://example.com/receipt.jpg", "https://example.com/chart.png")
PASSWORD = "load-test password 1"
MAX_FAILURE_DETAILS = 60

LEDGER_PATH = os.environ.get("LOAD_LEDGER")
WAIT_MIN, WAIT_MAX = (float(v) for v in os.environ.get("LOAD_WAIT", "0.5,1.5").split(","))
FAULT_RATE = float(os.environ.get("LOAD_FAULT_RATE", "0.03"))
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "0"))  # 0: no cap
RANDOM = random.Random(int(os.environ.get("LOAD_SEED", "0")) or None)

LEDGER = Ledger()
_lock = threading.Lock()
_requests = 0
_stopping = False


def _count_request() -> None:
    """The global request cap: past it, the runner quits (the run stops by itself)."""
    global _requests, _stopping
    _requests += 1
    if MAX_REQUESTS and _requests >= MAX_REQUESTS and not _stopping:
        _stopping = True
        env = _environment
        if env is not None and env.runner is not None:
            gevent.spawn(env.runner.quit)


_environment = None


@events.init.add_listener
def _on_init(environment, **_kwargs) -> None:
    global _environment
    _environment = environment


def _write_ledger(environment=None, **_kwargs) -> None:
    """The ledger with locust's final stats (its CSV is rewritten only every second)."""
    if not LEDGER_PATH:
        return
    with _lock:
        environment = environment or _environment
        stats = environment.stats
        if environment.runner is not None:
            LEDGER.exceptions = [
                f"{row['count']}x {row['msg']}\n{row['traceback']}"
                for row in environment.runner.exceptions.values()
            ]
        entries = sorted(stats.entries.values(), key=lambda e: (e.name, e.method or ""))
        LEDGER.stats = [endpoint_stats(entry) for entry in entries] + [endpoint_stats(stats.total)]
        Path(LEDGER_PATH).write_text(LEDGER.to_json(), encoding="utf-8")


events.test_stop.add_listener(_write_ledger)
events.quitting.add_listener(_write_ledger)


def _contract_error(contract, data: Any) -> str | None:
    """What a task's check of a 200's data says (the checks assume an object, so check that first)."""
    if not isinstance(data, dict):
        return f"HTTP 200 with data {str(data)[:100]!r}, not an object"
    try:
        return contract(data)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        return f"HTTP 200 with unexpected data ({error!r}): {str(data)[:160]}"


def _redacted(body: Any) -> Any:
    """A request body for the failure report, without secrets."""
    if not isinstance(body, dict):
        return body
    return {k: "***" if k in ("password", "refresh_token") else v for k, v in body.items()}


def _today(offset_days: int = 0) -> str:
    return (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=offset_days)).isoformat()


class ChatUser(FastHttpUser):
    wait_time = between(WAIT_MIN, WAIT_MAX)
    network_timeout = 60.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        self.conversations: dict[int, str] = {}  # id -> model
        self.message_ids: dict[int, list[int]] = {}  # conversation id -> stored message ids
        self.ledger = UserLedger(username=f"load_{uuid.uuid4().hex[:12]}", password=PASSWORD)
        self.refresh_token: str | None = None
        with _lock:
            LEDGER.users.append(self.ledger)
        registered = self._call(
            "POST",
            "/api/auth/register",
            json={
                "username": self.ledger.username,
                "email": f"{self.ledger.username}@example.com",
                "password": PASSWORD,
                "nickname": "Load",
            },
        )
        if registered is None or not self._login():
            raise StopUser()

    # ------------------------------------------------------------------ plumbing

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.ledger.access_token}"}

    def _call(
        self,
        method: str,
        path: str,
        *,
        name: str | None = None,
        json: Any = None,
        params: dict | None = None,
        auth: bool = False,
        judge=judge_plain,
        contract=None,
    ) -> dict | None:
        """One request, judged; returns the envelope's data ({} for null) on success, else None."""
        _count_request()
        self.ledger.requests += 1
        model_call = judge is not judge_plain
        if model_call:  # in flight: if the user is stopped mid-request, its outcome stays unknown
            self.ledger.model_unknown += 1
        url = f"{path}?{urlencode(params)}" if params else path
        self.ledger.in_flight = f"{method} {url}"
        headers = self.auth if auth else {}
        with self.client.request(
            method, url, name=name or path, json=json, headers=headers, catch_response=True
        ) as response:
            status = response.status_code or 0
            text = response.content.decode("utf-8", "replace") if response.content else None
            body = parse_json(text)
            verdict: Verdict = judge(status, body, text)
            error = verdict.error
            data = body.get("data") if isinstance(body, dict) else None
            if error is None and contract is not None and status == 200:
                error = _contract_error(contract, data)
            if model_call:
                self.ledger.model_unknown -= 1
                self.ledger.record(verdict)
            if error is None:
                response.success()
            else:
                response.failure(error)
                self._keep_failure(method, url, name or path, json, status, text, error)
        self.ledger.in_flight = None
        if error is not None or status != 200:
            return None
        return data if isinstance(data, dict) else {}

    def _keep_failure(self, method, url, name, request_json, status, text, error) -> None:
        with _lock:
            LEDGER.count_error(method, name, error)
            if len(LEDGER.failures) < MAX_FAILURE_DETAILS:
                LEDGER.failures.append(
                    {
                        "user": self.ledger.username,
                        "request": f"{method} {url}",
                        "name": name,
                        "request_body": _redacted(request_json),
                        "status": status,
                        "response": (text or "")[:600],
                        "error": error,
                    }
                )

    def _login(self) -> bool:
        data = self._call(
            "POST",
            "/api/auth/login",
            json={"username": self.ledger.username, "password": PASSWORD},
            contract=lambda d: None if d.get("access_token") and d.get("refresh_token") else "tokens missing",
        )
        if data is None:
            return False
        self.ledger.access_token = data["access_token"]
        self.ledger.user_id = data["user"]["user_id"]
        self.refresh_token = data["refresh_token"]
        return True

    def _fault(self) -> str | None:
        return RANDOM.choice(("400", "503x1")) if RANDOM.random() < FAULT_RATE else None

    def _text(self, fault: str | None) -> str:
        text = f"{RANDOM.choice(PROMPTS)} [{uuid.uuid4().hex[:8]}]"
        return f"{text} #fault:{fault}" if fault else text

    def _conversation(self) -> int | None:
        """One of the user's conversations (creating one when there is none), None if that failed."""
        if not self.conversations:
            self.create_conversation()
        return RANDOM.choice(list(self.conversations)) if self.conversations else None

    # ------------------------------------------------------------------ conversations

    @task(5)
    def create_conversation(self) -> None:
        model = RANDOM.choice(MODELS)
        title = f"{RANDOM.choice(PROMPTS)[:30]}"
        data = self._call(
            "POST",
            "/api/conversations",
            json={"model_name": model, "title": title},
            auth=True,
            contract=lambda d: (
                None
                if isinstance(d.get("conversation_id"), int) and d.get("model_name") == model
                else f"unexpected conversation {d!r}"
            ),
        )
        if data is not None:
            self.conversations[data["conversation_id"]] = model
            self.message_ids[data["conversation_id"]] = []

    @task(8)
    def list_conversations(self) -> None:
        limit = RANDOM.choice((5, 10, 20))
        model = RANDOM.choice(MODELS) if RANDOM.random() < 0.35 else None
        pages = max(1, math.ceil(len(self.conversations) / limit))
        page = RANDOM.randint(1, pages + 1 if RANDOM.random() < 0.1 else pages)
        params = {"page": page, "limit": limit, **({"model_name": model} if model else {})}

        def contract(data: dict) -> str | None:
            rows, pagination = data.get("conversations"), data.get("pagination") or {}
            if not isinstance(rows, list) or len(rows) > limit:
                return f"conversations not a list of at most {limit}"
            if (pagination.get("current_page"), pagination.get("per_page")) != (page, limit):
                return f"pagination {pagination!r} for page={page} limit={limit}"
            if model and any(row.get("model_name") != model for row in rows):
                return f"model_name={model} filter returned other models"
            return None

        self._call(
            "GET",
            "/api/conversations",
            name="/api/conversations?page&limit[&model_name]",
            params=params,
            auth=True,
            contract=contract,
        )

    @task(6)
    def get_conversation(self) -> None:
        conversation_id = self._conversation()
        if conversation_id is None:
            return
        self._call(
            "GET",
            f"/api/conversations/{conversation_id}",
            name="/api/conversations/{id}",
            auth=True,
            contract=lambda d: (
                None if d.get("conversation_id") == conversation_id else f"asked {conversation_id}, got {d!r}"
            ),
        )

    @task(4)
    def rename_conversation(self) -> None:
        conversation_id = self._conversation()
        if conversation_id is None:
            return
        title = f"Renamed {uuid.uuid4().hex[:6]}"
        self._call(
            "PUT",
            f"/api/conversations/{conversation_id}",
            name="/api/conversations/{id}",
            json={"title": title},
            auth=True,
            contract=lambda d: None if d.get("title") == title else f"title {d.get('title')!r} != {title!r}",
        )

    @task(2)
    def delete_conversation(self) -> None:
        if len(self.conversations) < 2:
            return  # keep one to talk in
        conversation_id = self._conversation()
        if conversation_id is None:
            return
        self._call(
            "DELETE",
            f"/api/conversations/{conversation_id}",
            name="/api/conversations/{id}",
            auth=True,
        )
        self.conversations.pop(conversation_id, None)  # gone, or failing: either way not used again
        self.message_ids.pop(conversation_id, None)

    # ------------------------------------------------------------------ messages

    @task(30)
    def send_message(self) -> None:
        conversation_id = self._conversation()
        if conversation_id is None:
            return
        fault = self._fault()
        content = [{"type": "text", "text": self._text(fault)}]
        data = self._call(
            "POST",
            f"/api/conversations/{conversation_id}/messages",
            name="/api/conversations/{id}/messages [reply]",
            json={"content": content},
            auth=True,
            judge=lambda s, b, t: judge_send(s, b, t, generate=True, fault=fault),
        )
        if data is not None:
            ids = self.message_ids.setdefault(conversation_id, [])
            ids.append(data["message_id"])
            if data.get("reply"):
                ids.append(data["reply"]["message_id"])

    @task(5)
    def send_without_reply(self) -> None:
        conversation_id = self._conversation()
        if conversation_id is None:
            return
        content = [{"type": "text", "text": self._text(None)}]
        if self.conversations[conversation_id] in VISION_MODELS and RANDOM.random() < 0.5:
            content.insert(0, {"type": "image_url", "image_url": {"url": RANDOM.choice(IMAGES)}})
        data = self._call(
            "POST",
            f"/api/conversations/{conversation_id}/messages",
            name="/api/conversations/{id}/messages [generate=false]",
            json={"content": content, "generate": False},
            auth=True,
            judge=lambda s, b, t: judge_send(s, b, t, generate=False),
        )
        if data is not None:
            self.message_ids.setdefault(conversation_id, []).append(data["message_id"])

    @task(8)
    def message_history(self) -> None:
        conversation_id = self._conversation()
        if conversation_id is None:
            return
        limit = RANDOM.choice((10, 20, 50))
        known = len(self.message_ids.get(conversation_id, []))
        page = RANDOM.randint(1, max(1, math.ceil(known / limit)))

        def contract(data: dict) -> str | None:
            rows, pagination = data.get("messages"), data.get("pagination") or {}
            if not isinstance(rows, list) or len(rows) > limit:
                return f"messages not a list of at most {limit}"
            if any(row.get("conversation_id") != conversation_id for row in rows):
                return "messages of another conversation"
            if (pagination.get("current_page"), pagination.get("per_page")) != (page, limit):
                return f"pagination {pagination!r} for page={page} limit={limit}"
            return None

        self._call(
            "GET",
            f"/api/conversations/{conversation_id}/messages",
            name="/api/conversations/{id}/messages?page&limit",
            params={"page": page, "limit": limit},
            auth=True,
            contract=contract,
        )

    @task(3)
    def delete_message(self) -> None:
        candidates = [(c, m) for c, ids in self.message_ids.items() for m in ids]
        if not candidates:
            return
        conversation_id, message_id = RANDOM.choice(candidates)
        self.message_ids[conversation_id].remove(message_id)
        self._call("DELETE", f"/api/messages/{message_id}", name="/api/messages/{id}", auth=True)

    # ------------------------------------------------------------------ the model proxy

    @task(15)
    def proxy_completion(self) -> None:
        fault = self._fault()
        with_image = RANDOM.random() < 0.25
        model = RANDOM.choice(VISION_MODELS if with_image else MODELS)
        content = [{"type": "text", "text": self._text(fault)}]
        if with_image:
            content.insert(0, {"type": "image_url", "image_url": {"url": RANDOM.choice(IMAGES)}})
        body: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": content}]}
        if RANDOM.random() < 0.3:
            body["messages"].insert(0, {"role": "system", "content": [{"type": "text", "text": "Be brief."}]})
        if RANDOM.random() < 0.5:
            body["temperature"] = round(RANDOM.uniform(0, 1.5), 2)
        if RANDOM.random() < 0.3:
            body["max_tokens"] = RANDOM.choice((16, 64, 256))
        self._call(
            "POST",
            PROXY_PATH,
            name=f"{PROXY_PATH} [{'image' if with_image else 'text'}]",
            json=body,
            auth=True,
            judge=lambda s, b, t: judge_proxy(s, b, t, fault=fault),
        )

    # ------------------------------------------------------------------ account and history

    @task(5)
    def current_user(self) -> None:
        self._call(
            "GET",
            "/api/auth/user",
            auth=True,
            contract=lambda d: None if d.get("user_id") == self.ledger.user_id else f"another user: {d!r}",
        )

    @task(3)
    def refresh(self) -> None:
        data = self._call(
            "POST",
            "/api/auth/refresh",
            json={"refresh_token": self.refresh_token},
            contract=lambda d: None if d.get("access_token") else f"no access_token: {d!r}",
        )
        if data is not None:
            self.ledger.access_token = data["access_token"]
            self.refresh_token = data.get("refresh_token") or self.refresh_token  # rotation

    @task(4)
    def api_call_history(self) -> None:
        params: dict[str, Any] = {"page": 1, "limit": RANDOM.choice((10, 20, 100))}
        if RANDOM.random() < 0.7:
            params["start_date"] = _today(-RANDOM.choice((0, 1, 7)))
        if RANDOM.random() < 0.7:
            params["end_date"] = _today()
        if RANDOM.random() < 0.3:
            params["model_name"] = RANDOM.choice(MODELS)
        self._call(
            "GET",
            "/api/history/api-calls",
            name="/api/history/api-calls?dates[&model_name]",
            params=params,
            auth=True,
            contract=lambda d: (
                None
                if isinstance(d.get("api_calls"), list) and len(d["api_calls"]) <= params["limit"]
                else "api_calls not a list within the limit"
            ),
        )

    @task(3)
    def statistics(self) -> None:
        params: dict[str, Any] = {}
        if RANDOM.random() < 0.5:
            params["start_date"] = _today(-7)
            params["end_date"] = _today()
        if RANDOM.random() < 0.3:
            params["model_name"] = RANDOM.choice(MODELS)
        self._call(
            "GET",
            "/api/history/conversations/statistics",
            name="/api/history/conversations/statistics[?dates&model_name]",
            params=params,
            auth=True,
            contract=lambda d: None if isinstance(d.get("total_tokens"), int) else "no total_tokens",
        )

    @task(1)
    def logout_and_login(self) -> None:
        self._call("POST", "/api/auth/logout", auth=True)
        self._login()
