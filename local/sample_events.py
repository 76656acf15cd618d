"""Writes events/<function dir>.json: one sample API Gateway event per function in template.yaml.

The events come from the template (route, method, whether the authorizer guards it) and the local
stack's own event builders (local/apigw_events.py), so they have exactly the shape the local
gateway and the tests send: REST API proxy (v1) events for the endpoint functions, the REQUEST
authorizer event for the authorizer. They are deterministic (fixed request ids and times), so a
regenerated file only changes when the template or a sample below does; tests/tooling/
test_sample_events.py checks the files are current and that every handler answers its event.

    .venv/bin/python -m local.sample_events          # (re)write events/
    .venv/bin/python -m local.sample_events --check  # exit 1 if events/ is stale

Use them with `sam local invoke <Function> -e events/<dir>.json` or by calling a handler directly.
The ids they carry (user 1, conversation 1, message 1, API key 1, session SAMPLE_SESSION_ID) exist
in a fresh table after registering and logging in SAMPLE_USER, creating one conversation, sending
one message and creating one API key, with ids issued from 1 (`sequential_ids()`: the store's
own ids are time-ordered). Tokens cannot be committed (they expire): the authorizer
event's Authorization header and the refresh event's body carry the placeholders below; put real
tokens from a login in their place. The session DELETE /api/auth/sessions ends
(SAMPLE_OTHER_SESSION_ID) stands for a second login.
"""

import argparse
import base64
import contextlib
import hashlib
import itertools
import json
import sys
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from local.apigw_events import HttpRequest, authorizer_event, method_arn, proxy_event
from local.authorization import Verdict, decide
from local.template import REPO_ROOT, Route, Template

EVENTS_DIR = REPO_ROOT / "events"

SAMPLE_USER = {
    "username": "alice",
    "email": "alice@example.com",
    "password": "correct horse battery staple",
    "nickname": "Alice",
}
SAMPLE_USER_ID = 1
SAMPLE_SESSION_ID = "sample-session-000000001"  # token_urlsafe(18) ids are 24 characters too
# Another session of the sample user (say, on their phone): the one DELETE /api/auth/sessions ends.
SAMPLE_OTHER_SESSION_ID = "sample-session-000000002"
SAMPLE_CONVERSATION_ID = 1
SAMPLE_MESSAGE_ID = 1
SAMPLE_MODEL = "qwen-plus"
ACCESS_TOKEN_PLACEHOLDER = "REPLACE_WITH_ACCESS_TOKEN"
REFRESH_TOKEN_PLACEHOLDER = "REPLACE_WITH_REFRESH_TOKEN"

SOURCE_IP = "198.51.100.7"  # TEST-NET-2
API_HOST = "local.execute-api.us-east-1.amazonaws.com"  # matches apiId "local" of the builders
RECEIVED_AT = 1_772_442_900.0  # 2026-03-02T09:15:00Z
NAMESPACE = uuid.UUID("8f1d9a52-3c41-4b7e-9a0e-2f6c5d1e7b30")
SAMPLE_API_KEY_ID = 1
PATH_PARAMETER_VALUES = {
    "conversation_id": str(SAMPLE_CONVERSATION_ID),
    "message_id": str(SAMPLE_MESSAGE_ID),
    "key_id": str(SAMPLE_API_KEY_ID),
    "user_id": str(SAMPLE_USER_ID),
    "session_id": SAMPLE_OTHER_SESSION_ID,
}


@contextlib.contextmanager
def sequential_ids() -> Iterator[None]:
    """While open, the store issues ids 1, 2, 3, ... per kind, as the sample events expect."""
    from bailian_chat.store import ids

    counters: defaultdict[str, Iterator[int]] = defaultdict(lambda: itertools.count(1))
    real = ids.new_id
    ids.new_id = lambda kind: next(counters[kind])
    try:
        yield
    finally:
        ids.new_id = real


@dataclass(frozen=True)
class Sample:
    """What a function's sample request carries beyond its route."""

    path: str | None = None  # the route's resource path, for a function serving several routes
    query: str = ""
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


# Keyed by the function's directory. A function without an entry gets its route with no body.
SAMPLES: dict[str, Sample] = {
    "auth_register": Sample(body=SAMPLE_USER),
    "docs": Sample(path="/api/openapi.json"),
    "auth_login": Sample(body={"username": SAMPLE_USER["username"], "password": SAMPLE_USER["password"]}),
    "auth_refresh": Sample(body={"refresh_token": REFRESH_TOKEN_PLACEHOLDER}),
    "auth_user_update": Sample(body={"nickname": "Alice L.", "avatar_url": "https://example.com/alice.png"}),
    "auth_password": Sample(
        body={"current_password": SAMPLE_USER["password"], "new_password": "a new password for alice"}
    ),
    "admin_users_list": Sample(query="page=1&limit=10&query=ali&status=1"),
    # The sample admin is user 1 itself: a ceiling (disabling or demoting oneself is a 409).
    "admin_users_update": Sample(body={"monthly_limit_ceiling": "50.00"}),
    "conversations_create": Sample(body={"model_name": SAMPLE_MODEL, "title": "Trip planning"}),
    "conversations_list": Sample(query=f"page=1&limit=10&model_name={SAMPLE_MODEL}"),
    "conversations_update": Sample(body={"title": "Kyoto trip"}),
    "messages_send": Sample(
        body={"content": [{"type": "text", "text": "Hello, please introduce yourself"}]},
    ),
    "messages_list": Sample(query="page=1&limit=20"),
    "api_keys_create": Sample(
        body={
            "name": "Notebook",
            "models": [SAMPLE_MODEL],
            "rate_limit_per_minute": 30,
            "monthly_budget": "25.00",
        }
    ),
    "api_keys_list": Sample(query="page=1&limit=10"),
    "bailian_chat_completions": Sample(
        body={
            "model": SAMPLE_MODEL,
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
            "temperature": 0.7,
            "max_tokens": 256,
        }
    ),
    "v1_models": Sample(path="/v1/models"),
    "v1_chat_completions": Sample(
        body={
            "model": SAMPLE_MODEL,
            "messages": [{"role": "user", "content": "Hi"}],
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    ),
    "conversations_messages_stream": Sample(
        body={"content": [{"type": "text", "text": "Hello, please introduce yourself"}]},
    ),
    # Open-ended ranges (end_date defaults to the last day): fixed dates would go stale.
    "history_api_calls": Sample(query=f"page=1&limit=10&start_date=2026-01-01&model_name={SAMPLE_MODEL}"),
    "history_statistics": Sample(query=f"start_date=2026-01-01&model_name={SAMPLE_MODEL}"),
    "auth_user_delete": Sample(body={"password": SAMPLE_USER["password"]}),
    "admin_statistics": Sample(query=f"start_date=2026-01-01&model_name={SAMPLE_MODEL}"),
    "usage_budget_update": Sample(body={"daily_limit": "2.50", "monthly_limit": "40"}),
}
# The authorizer's sample is the request it guards: the current-user call.
AUTHORIZED_ROUTE = ("GET", "/api/auth/user")


def _digest(*parts: str) -> bytes:
    return hashlib.sha256("/".join(parts).encode()).digest()


def _request(function_dir: str, route: Route, sample: Sample) -> HttpRequest:
    path = route.path
    for name, value in PATH_PARAMETER_VALUES.items():
        path = path.replace("{" + name + "}", value)
    headers = {
        "Accept": "application/json",
        "Host": API_HOST,
        "User-Agent": "curl/8.5.0",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    }
    if route.auth_required:
        headers["Authorization"] = f"Bearer {ACCESS_TOKEN_PLACEHOLDER}"
    body = b""
    if sample.body is not None:
        body = json.dumps(sample.body, ensure_ascii=False).encode()
        headers["Content-Type"] = "application/json"
    headers.update(sample.headers)
    return HttpRequest(
        method=route.method,
        path=path,
        query_string=sample.query,
        headers=list(headers.items()),
        body=body,
        source_ip=SOURCE_IP,
        request_id=str(uuid.uuid5(NAMESPACE, function_dir)),
        received_at=RECEIVED_AT,
    )


def _path_parameters(route: Route) -> dict[str, str]:
    names = [part[1:-1] for part in route.path.split("/") if part.startswith("{") and part.endswith("}")]
    return {name: PATH_PARAMETER_VALUES.get(name, "1") for name in names}


def _make_deterministic(event: dict[str, Any], function_dir: str) -> dict[str, Any]:
    """The builders draw resourceId and extendedRequestId at random; fix them per function."""
    context = event["requestContext"]
    context["resourceId"] = _digest("resource", context["resourcePath"]).hex()[:6]
    context["extendedRequestId"] = base64.b64encode(_digest("extended", function_dir)[:12]).decode()
    return event


def sample_role(path: str) -> str:
    """The role the authorizer read for the sample user: admin on the admin routes' samples."""
    return "admin" if path.startswith("/api/admin/") else "user"


def authorizer_context(stage: str, method: str, path: str) -> dict[str, Any]:
    """requestContext.authorizer as API Gateway hands it to the integration after the authorizer
    (functions/authorizer) allowed SAMPLE_USER_ID's session: judged by the local gateway's code."""
    arn = method_arn(stage, method, path)
    result = {
        "principalId": str(SAMPLE_USER_ID),
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": arn}],
        },
        "context": {
            "user_id": str(SAMPLE_USER_ID),
            "session_id": SAMPLE_SESSION_ID,
            "role": sample_role(path),
        },
    }
    decision = decide(result, arn)
    assert decision.verdict is Verdict.ALLOW, decision.reason
    return decision.request_context_authorizer(latency_ms=12)


def function_events(template: Template) -> dict[str, dict[str, Any]]:
    """{function dir: its sample event} for every function in the template."""
    routes_by_function: dict[str, Route] = {}
    for route in template.routes:
        function_dir = route.function.code_uri.name
        wanted = SAMPLES.get(function_dir, Sample()).path
        if wanted is None or route.path == wanted:
            routes_by_function.setdefault(function_dir, route)
    authorizer_dirs = {
        template.functions[authorizer.function_id].code_uri.name: authorizer
        for authorizer in template.authorizers.values()
    }
    stream_consumers = {consumer.function.logical_id for consumer in template.stream_consumers}
    events: dict[str, dict[str, Any]] = {}
    for function in template.functions.values():
        function_dir = function.code_uri.name
        if function_dir in authorizer_dirs:
            method, path = AUTHORIZED_ROUTE
            route = next(r for r in template.routes if (r.method, r.path) == (method, path))
            request = _request(function_dir, route, Sample())
            event = authorizer_event(
                request, route, {}, template.stage, authorizer_dirs[function_dir].payload_type
            )
        elif function_dir in routes_by_function:
            route = routes_by_function[function_dir]
            request = _request(function_dir, route, SAMPLES.get(function_dir, Sample()))
            context = None
            if route.auth_required:
                context = authorizer_context(template.stage, request.method, request.path)
            event = proxy_event(request, route, _path_parameters(route), template.stage, context)
        elif function.logical_id in stream_consumers:
            events[function_dir] = stream_event(function_dir)
            continue
        else:
            raise ValueError(
                f"{function.logical_id} is neither behind an API route, an authorizer nor the stream"
            )
        events[function_dir] = _make_deterministic(event, function_dir)
    return events


def stream_event(function_dir: str) -> dict[str, Any]:
    """What the table's stream hands a consumer: for the usage aggregator, SAMPLE_USER's daily
    rollup after a model call; for the account purge, SAMPLE_USER's profile marked deleting."""
    if function_dir == "account_purge":
        keys = {"PK": {"S": f"USER#{SAMPLE_USER_ID}"}, "SK": {"S": "PROFILE"}}
        profile = {
            "user_id": {"N": str(SAMPLE_USER_ID)},
            "username": {"S": SAMPLE_USER["username"]},
            "email": {"S": SAMPLE_USER["email"]},
        }
        old = {**keys, **profile}
        new = {**old, "deleting_at": {"N": str(int(RECEIVED_AT))}}
    else:
        pk, sk = f"USER#{SAMPLE_USER_ID}#DAILY", f"2026-03-02#{SAMPLE_MODEL}"
        labels = {
            "date": {"S": "2026-03-02"},
            "model_name": {"S": SAMPLE_MODEL},
            "item_type": {"S": "user_daily"},
        }
        keys = {"PK": {"S": pk}, "SK": {"S": sk}}
        old = {**keys, **labels, "calls": {"N": "1"}, "tokens": {"N": "42"}, "messages": {"N": "2"}}
        new = {**old, "calls": {"N": "2"}, "tokens": {"N": "97"}}
    return {
        "Records": [
            {
                "eventID": "c81e728d9d4c2f636f067f89cc14862c",
                "eventName": "MODIFY",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": RECEIVED_AT,
                    "Keys": keys,
                    "NewImage": new,
                    "OldImage": old,
                    "SequenceNumber": "111100000000000000000001",
                    "SizeBytes": 180,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
                "eventSourceARN": (
                    "arn:aws:dynamodb:us-east-1:123456789012:table/bailian-chat-dev/stream/2026-03-02T09:15:00.000"
                ),
            }
        ]
    }


def render(event: dict[str, Any]) -> str:
    return json.dumps(event, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale or missing files")
    args = parser.parse_args(argv)
    events = function_events(Template())
    expected = {EVENTS_DIR / f"{name}.json": render(event) for name, event in sorted(events.items())}
    existing = set(EVENTS_DIR.glob("*.json"))
    stale = [path for path, text in expected.items() if not path.exists() or path.read_text() != text]
    extra = sorted(existing - set(expected))
    if args.check:
        for path in [*stale, *extra]:
            print(f"stale: {path.relative_to(REPO_ROOT)}", file=sys.stderr)
        if stale or extra:
            print("run: .venv/bin/python -m local.sample_events", file=sys.stderr)
        return 1 if stale or extra else 0
    EVENTS_DIR.mkdir(exist_ok=True)
    for path in stale:
        path.write_text(expected[path])
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    for path in extra:
        name = path.relative_to(REPO_ROOT)
        print(f"{name}: no such function in template.yaml (remove it)", file=sys.stderr)
    print(f"{len(expected)} events, {len(stale)} written")
    return 1 if extra else 0


if __name__ == "__main__":
    sys.exit(main())
