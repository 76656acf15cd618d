"""The sample events' user in a bench's table: a live session and its tokens in the events, and
the password as it is after the password change (bench_endpoint_calls, bench_first_call)."""

import copy
import json
import time

from local import sample_events


def sample_session_tokens(session: str = sample_events.SAMPLE_SESSION_ID) -> dict[str, str]:
    """The sample session (SAMPLE_SESSION_ID of user 1, or another one) and a live token pair."""
    from bailian_chat.auth import tokens
    from bailian_chat.store import session_items

    now = int(time.time())
    jti = tokens.new_token_id()
    user = sample_events.SAMPLE_USER_ID
    session_items.create_session(session, user, jti, now, now + 3600)
    if session == sample_events.SAMPLE_SESSION_ID:  # the other one, which auth_sessions_delete ends
        session_items.create_session(sample_events.SAMPLE_OTHER_SESSION_ID, user, "other", now, now + 3600)
    return {
        "access": tokens.issue(user, session, tokens.ACCESS, now + 600),
        "refresh": tokens.issue(user, session, tokens.REFRESH, now + 3600, jti),
    }


def with_live_tokens(event: dict, live: dict[str, str]) -> dict:
    event = copy.deepcopy(event)
    placeholder = f"Bearer {sample_events.ACCESS_TOKEN_PLACEHOLDER}"
    if event.get("headers", {}).get("Authorization") == placeholder:
        event["headers"]["Authorization"] = f"Bearer {live['access']}"
        event["multiValueHeaders"]["Authorization"] = [f"Bearer {live['access']}"]
    if event.get("body") and sample_events.REFRESH_TOKEN_PLACEHOLDER in event["body"]:
        event["body"] = json.dumps({"refresh_token": live["refresh"]})
    return event


def with_current_password(event: dict, password: str) -> dict:
    """The event with the sample user's password as it is now (auth_password changed it)."""
    body = json.loads(event.get("body") or "null")
    if not isinstance(body, dict) or body.get("password") != sample_events.SAMPLE_USER["password"]:
        return event
    return {**event, "body": json.dumps({**body, "password": password})}


def with_authorizer_spend_limits(event: dict, authorizer_answer: dict) -> dict:
    """`event` as API Gateway passes it on after the authorizer: with the spend limits it read
    (issue 15; the sample's other context stays, so admin routes' samples remain an admin's)."""
    limits = authorizer_answer["context"]["spend_limits"]
    context = {**event["requestContext"]["authorizer"], "spend_limits": limits}
    return {**event, "requestContext": {**event["requestContext"], "authorizer": context}}
