"""The load test's pure logic: which answers are expected, what a model call means for the call log,
the per-user ledger the locust process hands back, the consistency verdicts, and reading locust's
CSV stats. No I/O beyond reading a CSV file; unit-tested in tests/tooling/test_load_checks.py."""

import csv
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

PROXY_PATH = "/api/bailian/chat/completions"
RATE_LIMIT_MESSAGE = "Request rate limit exceeded"
# What an injected fake-Bailian fault (README's table) turns into at our API.
FAULT_STATUS = {"400": 400, "503x1": 200}


class Logged(StrEnum):
    """Whether a model-calling request left an item in the call log, as far as the client can tell."""

    YES = "yes"  # the model was called (success or failure): one logged call
    NO = "no"  # refused before the model (rate limit, auth, validation): nothing logged
    UNKNOWN = "unknown"  # no usable answer (gateway error, timeout, killed): maybe logged


@dataclass(frozen=True)
class Verdict:
    """A response judged: `error` is None when it is what the contract and the scenario allow."""

    error: str | None = None
    logged: Logged = Logged.NO
    rate_limited: bool = False
    tokens: int = 0  # total_tokens the client saw (proxy successes only)


def envelope_error(status: int, body: Any) -> str | None:
    """The contract every response follows: {"code": int, "message": str, "data": ...}, code == status."""
    if not isinstance(body, dict):
        return f"HTTP {status}: body is not a JSON object"
    if set(body) != {"code", "message", "data"}:
        return f"HTTP {status}: envelope keys {sorted(body)}"
    if not isinstance(body["code"], int) or isinstance(body["code"], bool) or body["code"] != status:
        return f"HTTP {status}: envelope code {body['code']!r}"
    if not isinstance(body["message"], str):
        return f"HTTP {status}: envelope message {body['message']!r}"
    return None


def parse_json(text: str | None) -> Any:
    try:
        return json.loads(text or "")
    except ValueError:
        return None


def describe(status: int, body: Any, text: str | None) -> str:
    if isinstance(body, dict) and "message" in body:
        return f"HTTP {status}: {body.get('message')!r}"
    return f"HTTP {status}: {(text or '')[:160]!r}"


def judge_plain(status: int, body: Any, text: str | None = None) -> Verdict:
    """Any endpoint that calls no model: only a 2xx envelope is fine."""
    problem = envelope_error(status, body)
    if problem:
        return Verdict(problem)
    if not 200 <= status < 300:
        return Verdict(describe(status, body, text))
    return Verdict()


def _is_rate_limit(status: int, body: Any) -> bool:
    return status == 429 and isinstance(body, dict) and body.get("message") == RATE_LIMIT_MESSAGE


def _unanswered(status: int) -> bool:
    """No answer from our function: the connection failed (0), or the gateway answered itself."""
    return status == 0 or status in (502, 504)


def judge_proxy(status: int, body: Any, text: str | None = None, fault: str | None = None) -> Verdict:
    """POST /api/bailian/chat/completions. 200 with usage, or 429 from the per-user limit (not
    logged), or the status an injected fault maps to (logged)."""
    if _unanswered(status):
        return Verdict(describe(status, body, text), Logged.UNKNOWN)
    problem = envelope_error(status, body)
    if problem:
        return Verdict(problem, Logged.UNKNOWN)
    if _is_rate_limit(status, body):
        return Verdict(rate_limited=True)
    expected = FAULT_STATUS.get(fault or "", 200)
    if status == 200:
        usage = (body.get("data") or {}).get("usage") or {}
        tokens = usage.get("total_tokens")
        if not isinstance(tokens, int) or tokens <= 0:
            return Verdict(f"HTTP 200 without usage.total_tokens: {usage!r}", Logged.YES)
        error = None if expected == 200 else f"HTTP 200 where fault {fault} should give {expected}"
        return Verdict(error, Logged.YES, tokens=tokens)
    if status == expected:
        return Verdict(None, Logged.YES)
    # 503: the upstream failed and the call was logged; a 4xx other than the limit was refused first.
    logged = Logged.YES if status == 503 else Logged.UNKNOWN if status >= 500 else Logged.NO
    return Verdict(describe(status, body, text), logged)


def judge_send(
    status: int, body: Any, text: str | None = None, *, generate: bool = True, fault: str | None = None
) -> Verdict:
    """POST /api/conversations/{id}/messages: 200 with the stored message and `reply` or
    `reply_error` (code 429: rate-limited, nothing logged); with generate false, neither."""
    if _unanswered(status):
        return Verdict(describe(status, body, text), Logged.UNKNOWN if generate else Logged.NO)
    problem = envelope_error(status, body)
    if problem:
        return Verdict(problem, Logged.UNKNOWN if generate else Logged.NO)
    if status != 200:
        logged = Logged.UNKNOWN if generate and status >= 500 else Logged.NO
        return Verdict(describe(status, body, text), logged)
    data = body.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("message_id"), int):
        return Verdict(f"HTTP 200 without data.message_id: {str(data)[:160]}", Logged.UNKNOWN)
    reply, reply_error = data.get("reply"), data.get("reply_error")
    if not generate:
        if reply is not None or reply_error is not None:
            return Verdict("generate=false but a reply or reply_error came back")
        return Verdict()
    if (reply is None) == (reply_error is None):
        return Verdict(
            f"exactly one of reply/reply_error expected: {reply!r} / {reply_error!r}", Logged.UNKNOWN
        )
    expected = FAULT_STATUS.get(fault or "", 200)
    if reply is not None:
        if not isinstance(reply, dict) or reply.get("role") != "assistant":
            return Verdict(f"reply is not an assistant message: {str(reply)[:160]}", Logged.YES)
        error = None if expected == 200 else f"a reply where fault {fault} should give {expected}"
        return Verdict(error, Logged.YES)
    code = reply_error.get("code") if isinstance(reply_error, dict) else None
    if code == 429:
        return Verdict(rate_limited=True)
    if code == expected:
        return Verdict(None, Logged.YES)
    return Verdict(f"reply_error {reply_error!r}", Logged.YES)


# ------------------------------------------------------------------ the ledger


@dataclass
class UserLedger:
    """What one simulated user did that the server's books must reflect."""

    username: str
    password: str
    user_id: int | None = None
    access_token: str | None = None
    model_logged: int = 0  # model calls answered (success or failure): each must be logged once
    model_unknown: int = 0  # model calls without a usable answer: logged or not
    rate_limited: int = 0  # refused by the per-user limit: never logged
    proxy_tokens: int = 0  # usage.total_tokens of the proxy answers the client saw
    requests: int = 0
    in_flight: str | None = None  # the request under way when the ledger was written, if any

    def record(self, verdict: Verdict) -> None:
        if verdict.rate_limited:
            self.rate_limited += 1
        elif verdict.logged is Logged.YES:
            self.model_logged += 1
            self.proxy_tokens += verdict.tokens
        elif verdict.logged is Logged.UNKNOWN:
            self.model_unknown += 1


@dataclass
class Ledger:
    users: list[UserLedger] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)  # the first few, in full
    errors: dict[str, int] = field(default_factory=dict)  # "METHOD name: error" -> occurrences
    stats: list[dict[str, Any]] = field(default_factory=list)  # locust's final stats (EndpointStats)
    exceptions: list[str] = field(default_factory=list)  # raised in the locustfile itself

    def count_error(self, method: str, name: str, error: str) -> None:
        key = f"{method} {name}: {error}"
        self.errors[key] = self.errors.get(key, 0) + 1

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> "Ledger":
        raw = json.loads(text)
        users = [UserLedger(**user) for user in raw["users"]]
        return cls(users, raw["failures"], raw["errors"], raw["stats"], raw["exceptions"])


# ------------------------------------------------------------------ consistency


@dataclass(frozen=True)
class UserCheck:
    username: str
    problems: list[str]
    logged_calls: int
    total_tokens: int


def check_user(user: UserLedger, calls: list[dict], reported_total: int, statistics: Mapping) -> UserCheck:
    """The server's books for one user against what the client saw.

    calls: every item of GET /api/history/api-calls (all pages); reported_total: its pagination
    total; statistics: the data of GET /api/history/conversations/statistics (no filters)."""
    problems = []
    tokens = sum(int(call.get("total_tokens") or 0) for call in calls)
    if statistics.get("total_tokens") != tokens:
        problems.append(
            f"statistics total_tokens {statistics.get('total_tokens')} != {tokens} over the calls"
        )
    if reported_total != len(calls):
        problems.append(f"api-calls pagination total {reported_total} != {len(calls)} items paged through")
    ids = [call.get("id") for call in calls]
    if len(set(ids)) != len(ids):
        problems.append(f"{len(ids) - len(set(ids))} calls listed twice")
    foreign = {call.get("user_id") for call in calls} - {user.user_id}
    if calls and foreign:
        problems.append(f"calls of other users listed: {sorted(map(str, foreign))}")
    low, high = user.model_logged, user.model_logged + user.model_unknown
    if not low <= reported_total <= high:
        expected = str(low) if low == high else f"{low}..{high}"
        problems.append(f"api-calls total {reported_total} != {expected} model calls answered")
    if user.model_unknown == 0:
        proxy_tokens = sum(
            int(c.get("total_tokens") or 0) for c in calls if c.get("api_endpoint") == PROXY_PATH
        )
        if proxy_tokens != user.proxy_tokens:
            problems.append(f"logged proxy tokens {proxy_tokens} != {user.proxy_tokens} the proxy answered")
    return UserCheck(user.username, problems, reported_total, tokens)


# ------------------------------------------------------------------ locust's stats


@dataclass(frozen=True)
class EndpointStats:
    method: str
    name: str
    requests: int
    failures: int
    rps: float
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None


def endpoint_stats(entry: Any) -> dict[str, Any]:
    """One locust StatsEntry (an endpoint, or the total) as a plain dict for the ledger."""
    has = entry.num_requests > 0
    return {
        "method": entry.method or "",
        "name": entry.name,
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "rps": entry.total_rps,
        "p50": entry.get_response_time_percentile(0.5) if has else None,
        "p95": entry.get_response_time_percentile(0.95) if has else None,
        "p99": entry.get_response_time_percentile(0.99) if has else None,
        "max": entry.max_response_time if has else None,
    }


def read_stats(path: Path) -> list[EndpointStats]:
    """Rows of locust's <prefix>_stats.csv (the last one is the 'Aggregated' total). Locust rewrites
    it every second while running, so it can miss the last requests: the report uses the final
    stats the locust process puts in the ledger; this is for looking at a run's artifacts."""
    with path.open(newline="", encoding="utf-8") as stream:
        return [
            EndpointStats(
                method=row["Type"],
                name=row["Name"],
                requests=int(row["Request Count"]),
                failures=int(row["Failure Count"]),
                rps=float(row["Requests/s"]),
                p50=_number(row.get("50%")),
                p95=_number(row.get("95%")),
                p99=_number(row.get("99%")),
                max=_number(row.get("Max Response Time")),
            )
            for row in csv.DictReader(stream)
        ]


def _number(value: str | None) -> float | None:
    if value in (None, "", "N/A"):
        return None
    return float(value)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def stats_table(rows: Iterable[EndpointStats]) -> str:
    columns = ("reqs", "fails", "rps", "p50", "p95", "p99", "max")
    header = f"{'method':<7} {'endpoint (latency in ms)':<52} " + " ".join(f"{c:>6}" for c in columns)
    lines = [header, "-" * len(header)]
    for row in rows:
        lines.append(
            f"{row.method:<7} {row.name:<52} {row.requests:>6} {row.failures:>6} {row.rps:>6.1f} "
            f"{_ms(row.p50):>6} {_ms(row.p95):>6} {_ms(row.p99):>6} {_ms(row.max):>6}"
        )
    return "\n".join(lines)
