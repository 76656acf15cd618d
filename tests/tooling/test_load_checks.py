"""The load test's pure logic (load/checks.py): judging responses, the ledger and the consistency
verdicts, and reading locust's CSV stats."""

import pytest

from load.__main__ import run_time_seconds
from load.checks import (
    PROXY_PATH,
    Ledger,
    Logged,
    UserLedger,
    check_user,
    endpoint_stats,
    envelope_error,
    judge_plain,
    judge_proxy,
    judge_send,
    read_stats,
    stats_table,
)

SEND_PATH = "/api/conversations/{conversation_id}/messages"


def envelope(code: int, data=None, message: str = "ok") -> dict:
    return {"code": code, "message": message, "data": data}


def sent(reply=None, reply_error=None) -> dict:
    return envelope(200, {"message_id": 7, "role": "user", "reply": reply, "reply_error": reply_error})


ASSISTANT = {"message_id": 8, "role": "assistant"}
RATE_LIMITED = envelope(429, message="Request rate limit exceeded")


# ------------------------------------------------------------------ the envelope


@pytest.mark.parametrize(
    ("status", "body", "problem"),
    [
        (200, envelope(200, {}), None),
        (404, envelope(404), None),
        (200, None, "not a JSON object"),
        (200, [1], "not a JSON object"),
        (200, {"code": 200, "message": "ok"}, "envelope keys"),
        (200, {"code": 200, "message": "ok", "data": None, "extra": 1}, "envelope keys"),
        (200, envelope(201), "envelope code 201"),
        (200, {"code": True, "message": "ok", "data": None}, "envelope code True"),
        (200, {"code": 200, "message": None, "data": None}, "envelope message"),
    ],
)
def test_envelope(status, body, problem):
    error = envelope_error(status, body)
    assert (error is None) if problem is None else (problem in error)


def test_plain_endpoints_accept_only_2xx():
    assert judge_plain(200, envelope(200, {})).error is None
    assert judge_plain(401, envelope(401, message="Unauthorized")).error == "HTTP 401: 'Unauthorized'"
    assert judge_plain(429, RATE_LIMITED).error  # the limit only concerns model calls
    assert judge_plain(502, None, "Bad Gateway").error == "HTTP 502: body is not a JSON object"


# ------------------------------------------------------------------ the proxy


def test_proxy_success_is_logged_with_its_tokens():
    verdict = judge_proxy(200, envelope(200, {"usage": {"total_tokens": 21}}))
    assert (verdict.error, verdict.logged, verdict.tokens, verdict.rate_limited) == (
        None,
        Logged.YES,
        21,
        False,
    )


def test_proxy_rate_limit_is_expected_and_not_logged():
    verdict = judge_proxy(429, RATE_LIMITED)
    assert (verdict.error, verdict.logged, verdict.rate_limited) == (None, Logged.NO, True)


def test_proxy_injected_faults():
    assert judge_proxy(400, envelope(400, message="bad"), fault="400").error is None
    assert judge_proxy(400, envelope(400, message="bad"), fault="400").logged is Logged.YES
    assert judge_proxy(200, envelope(200, {"usage": {"total_tokens": 5}}), fault="503x1").error is None
    assert judge_proxy(200, envelope(200, {"usage": {"total_tokens": 5}}), fault="400").error


@pytest.mark.parametrize(
    ("status", "body", "logged"),
    [
        (503, envelope(503, message="Bailian API service unavailable"), Logged.YES),
        (500, envelope(500, message="Server internal error"), Logged.UNKNOWN),
        (502, {"code": 502, "message": "Internal server error", "data": None}, Logged.UNKNOWN),
        (0, None, Logged.UNKNOWN),
        (400, envelope(400, message="model: required"), Logged.NO),
        (401, envelope(401, message="Unauthorized"), Logged.NO),
    ],
)
def test_proxy_errors_and_what_they_mean_for_the_log(status, body, logged):
    verdict = judge_proxy(status, body)
    assert verdict.error and verdict.logged is logged


def test_proxy_200_without_usage_is_an_error():
    assert "usage" in judge_proxy(200, envelope(200, {"choices": []})).error


# ------------------------------------------------------------------ sends


def test_send_with_reply_is_logged():
    verdict = judge_send(200, sent(reply=ASSISTANT))
    assert (verdict.error, verdict.logged) == (None, Logged.YES)


def test_send_rate_limited_reply_is_expected_and_not_logged():
    verdict = judge_send(200, sent(reply_error={"code": 429, "message": "Request rate limit exceeded"}))
    assert (verdict.error, verdict.logged, verdict.rate_limited) == (None, Logged.NO, True)


def test_send_reply_errors():
    failed = sent(reply_error={"code": 400, "message": "bad"})
    assert judge_send(200, failed, fault="400").error is None
    assert judge_send(200, failed, fault="400").logged is Logged.YES
    unexpected = judge_send(200, sent(reply_error={"code": 503, "message": "down"}))
    assert unexpected.error and unexpected.logged is Logged.YES
    assert judge_send(200, sent(reply=ASSISTANT), fault="400").error


def test_send_needs_exactly_one_of_reply_and_error():
    assert judge_send(200, sent()).error
    assert judge_send(200, sent(reply=ASSISTANT, reply_error={"code": 400})).error


def test_send_without_generation():
    verdict = judge_send(200, sent(), generate=False)
    assert (verdict.error, verdict.logged) == (None, Logged.NO)
    assert judge_send(200, sent(reply=ASSISTANT), generate=False).error
    assert judge_send(503, envelope(503), generate=False).logged is Logged.NO


def test_send_refused_before_the_model_is_not_logged():
    verdict = judge_send(404, envelope(404, message="Conversation does not exist"))
    assert verdict.error and verdict.logged is Logged.NO
    assert judge_send(504, None, "timeout").logged is Logged.UNKNOWN


# ------------------------------------------------------------------ the ledger and the books


def test_ledger_counts_and_round_trips():
    user = UserLedger("u", "p", user_id=1)
    user.record(judge_proxy(200, envelope(200, {"usage": {"total_tokens": 10}})))
    user.record(judge_proxy(429, RATE_LIMITED))
    user.record(judge_send(200, sent(reply=ASSISTANT)))
    user.record(judge_send(0, None))
    assert (user.model_logged, user.rate_limited, user.model_unknown, user.proxy_tokens) == (2, 1, 1, 10)
    ledger = Ledger([user], [{"request": "GET /x"}])
    assert Ledger.from_json(ledger.to_json()) == ledger


def call(call_id: int, tokens: int, endpoint: str = PROXY_PATH, user_id: int = 1) -> dict:
    return {"id": call_id, "user_id": user_id, "api_endpoint": endpoint, "total_tokens": tokens}


def test_books_that_agree():
    user = UserLedger("u", "p", user_id=1, model_logged=3, proxy_tokens=30)
    calls = [call(1, 10), call(2, 20), call(3, 7, SEND_PATH)]
    check = check_user(user, calls, 3, {"total_tokens": 37})
    assert check.problems == [] and (check.logged_calls, check.total_tokens) == (3, 37)


def test_books_that_disagree():
    user = UserLedger("u", "p", user_id=1, model_logged=4, proxy_tokens=30)
    calls = [call(1, 10), call(1, 20), call(3, 7, SEND_PATH, user_id=2)]
    problems = check_user(user, calls, 5, {"total_tokens": 36}).problems
    assert problems == [
        "statistics total_tokens 36 != 37 over the calls",
        "api-calls pagination total 5 != 3 items paged through",
        "1 calls listed twice",
        "calls of other users listed: ['2']",
        "api-calls total 5 != 4 model calls answered",
    ]


def test_calls_of_unknown_outcome_widen_the_expected_total():
    user = UserLedger("u", "p", user_id=1, model_logged=1, model_unknown=2, proxy_tokens=10)
    calls = [call(1, 10), call(2, 20)]
    assert check_user(user, calls, 2, {"total_tokens": 30}).problems == []  # proxy tokens not compared
    assert check_user(user, calls[:1] * 0, 0, {"total_tokens": 0}).problems == [
        "api-calls total 0 != 1..3 model calls answered"
    ]


def test_proxy_tokens_must_match_what_the_client_saw():
    user = UserLedger("u", "p", user_id=1, model_logged=1, proxy_tokens=11)
    assert check_user(user, [call(1, 10)], 1, {"total_tokens": 10}).problems == [
        "logged proxy tokens 10 != 11 the proxy answered"
    ]


# ------------------------------------------------------------------ locust's CSV and the CLI

STATS_CSV = """Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,\
98%,99%,99.9%,99.99%,100%
GET,/api/auth/user,10,1,15,20.5,3,101.2,300,2.5,0.1,15,16,17,18,40,90,100,100,100,100,100
,Aggregated,10,1,15,20.5,3,101.2,300,2.5,0.1,15,16,17,18,40,90,100,100,100,100,100
POST,/never,0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A
"""


def test_read_stats_and_table(tmp_path):
    path = tmp_path / "locust_stats.csv"
    path.write_text(STATS_CSV)
    rows = read_stats(path)
    assert [(r.method, r.name, r.requests, r.failures, r.rps, r.p50, r.p95, r.p99) for r in rows[:2]] == [
        ("GET", "/api/auth/user", 10, 1, 2.5, 15.0, 90.0, 100.0),
        ("", "Aggregated", 10, 1, 2.5, 15.0, 90.0, 100.0),
    ]
    assert rows[2].p50 is None
    table = stats_table(rows)
    assert "/api/auth/user" in table and "Aggregated" in table


class FakeEntry:
    """The part of locust's StatsEntry that endpoint_stats reads (importing locust here would
    monkey-patch the whole test session with gevent)."""

    def __init__(self, method, name, times, failures=0):
        self.method, self.name, self.times = method, name, sorted(times)
        self.num_requests, self.num_failures = len(times), failures
        self.total_rps = len(times) / 10
        self.max_response_time = max(times) if times else 0

    def get_response_time_percentile(self, fraction):
        return self.times[min(len(self.times) - 1, int(fraction * len(self.times)))]


def test_endpoint_stats():
    row = endpoint_stats(FakeEntry("GET", "/api/auth/user", [10, 20, 30, 40, 1000], failures=1))
    assert row == {
        "method": "GET",
        "name": "/api/auth/user",
        "requests": 5,
        "failures": 1,
        "rps": 0.5,
        "p50": 30,
        "p95": 1000,
        "p99": 1000,
        "max": 1000,
    }
    empty = endpoint_stats(FakeEntry(None, "Aggregated", []))
    assert (empty["method"], empty["p50"], empty["max"]) == ("", None, None)


def test_ledger_counts_errors():
    ledger = Ledger()
    ledger.count_error("GET", "/x", "HTTP 500: 'boom'")
    ledger.count_error("GET", "/x", "HTTP 500: 'boom'")
    assert ledger.errors == {"GET /x: HTTP 500: 'boom'": 2}
    assert Ledger.from_json(ledger.to_json()) == ledger


@pytest.mark.parametrize(
    ("text", "seconds"), [("60", 60), ("90s", 90), ("2m", 120), ("1m30s", 90), ("1h", 3600)]
)
def test_run_time(text, seconds):
    assert run_time_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "abc", "5x", "m"])
def test_bad_run_time(text):
    with pytest.raises(ValueError):
        run_time_seconds(text)
