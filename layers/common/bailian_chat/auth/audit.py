"""Security events (issue 13 §4): each one is a structured log line and, when it has a user, an
item the user can read (GET /api/auth/audit; admins: GET /api/admin/users/{id}/audit) that expires
after AUDIT_RETENTION_DAYS. Nothing secret is ever put in either: no password, token or key."""

import secrets

from aws_lambda_powertools import Logger

from bailian_chat import clock
from bailian_chat.config import get_settings
from bailian_chat.errors import NotFound
from bailian_chat.paging import PageRequest, pagination
from bailian_chat.store import audit_items

logger = Logger()

LOGIN_SUCCEEDED = "login_succeeded"
LOGIN_FAILED = "login_failed"
LOCKED_OUT = "locked_out"
REFRESH_TOKEN_REUSE = "refresh_token_reuse"
PASSWORD_CHANGED = "password_changed"
PASSWORD_CHECK_FAILED = "password_check_failed"
SESSION_ENDED = "session_ended"
API_KEY_CREATED = "api_key_created"
API_KEY_REVOKED = "api_key_revoked"
USER_CHANGED_BY_ADMIN = "user_changed_by_admin"
ACCOUNT_DELETION_STARTED = "account_deletion_started"
ACCOUNT_DELETED = "account_deleted"

SHOWN_FIELDS = ("audit_id", "event", "created_at", "client_ip", "details")


def new_event(event: str, client_ip: str | None = None, **details) -> dict:
    """The event as stored: a time-ordered id (newest sorts last), its time and what it concerns."""
    instant = clock.instant()
    return {
        "audit_id": f"{instant.epoch_ms:015d}-{secrets.token_hex(4)}",
        "event": event,
        "created_at": instant.iso,
        "client_ip": client_ip,
        "details": {name: value for name, value in details.items() if value is not None},
    }


def expires_at() -> int:
    return clock.now_epoch() + get_settings().audit_retention_days * 86_400


def log(user_id: int | None, event: dict) -> None:
    logger.info(
        "security event",
        extra={"audit_event": event["event"], "user_id": user_id, **{k: event[k] for k in SHOWN_FIELDS[2:]}},
    )


def record(event_name: str, user_id: int | None, client_ip: str | None = None, **details) -> None:
    """Logs the event and stores it for the user (one PutItem). The event already happened: a
    failure to store it is logged, never turned into a failure of the request that caused it."""
    event = new_event(event_name, client_ip, **details)
    log(user_id, event)
    if user_id is None:
        return
    try:
        audit_items.put(user_id, event, expires_at())
    except Exception:
        logger.exception("audit item not stored", extra={"audit_event": event_name, "user_id": user_id})


def record_action(
    event_name: str, user_id: int, client_ip: str | None = None, **details
) -> tuple[dict, dict]:
    """The event and its item as a transaction action, for a caller that writes it with the change
    it records (log it with `log` once that transaction succeeded)."""
    event = new_event(event_name, client_ip, **details)
    return event, audit_items.put_action(user_id, event, expires_at())


def page(user_id: int, request: PageRequest) -> dict:
    """The user's events, newest first, paged like the spec's lists."""
    total, events = audit_items.events_page(user_id, request.offset, request.limit)
    return _events_answer(request, total, events)


def user_page(user_id: int, request: PageRequest) -> dict:
    """Another user's events, for an admin: 404 when there is no such user."""
    user, total, events = audit_items.user_with_events_page(user_id, request.offset, request.limit)
    if user is None:
        raise NotFound("User does not exist")
    return _events_answer(request, total, events)


def _events_answer(request: PageRequest, total: int, events: list[dict]) -> dict:
    return {
        "audit_events": [{field: event.get(field) for field in SHOWN_FIELDS} for event in events],
        "pagination": pagination(request, total),
    }
