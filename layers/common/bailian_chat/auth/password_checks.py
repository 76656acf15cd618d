"""A password checked under the login throttle: per account and client IP, a slot taken before the
check (parallel guesses get no more checks than the limit), a lockout at the limit, the failures
audited. Login, the password change and the account deletion check passwords this way."""

from bailian_chat import clock
from bailian_chat.auth import audit, passwords
from bailian_chat.config import get_settings
from bailian_chat.errors import RateLimited
from bailian_chat.store import login_failure_items


def account_of(user: dict) -> str:
    """The throttle's account of a known user (by id, so username and email share a count)."""
    return f"user:{user['user_id']}"


def check_password(account: str, client_ip: str, *checked, **audited) -> bool:
    """Checks a password under the login throttle of `account` from `client_ip`: the attempt takes a
    slot first (RateLimited while they are used up, so parallel guesses get no more checks than
    the limit); a failure keeps it, and the last one locks the account+IP out for a whole period;
    a success frees the failures before it. Failures and lockouts are audited (`user_id`'s trail;
    a name that is no account only gets the log line). Arguments as verified_slot's."""
    slot = verified_slot(account, client_ip, *checked, **audited)
    if slot is None:
        return False
    login_failure_items.clear_through(account, client_ip, slot, get_settings().login_max_failures)
    return True


def verified_slot(
    account: str,
    client_ip: str,
    password_hash: str | None,
    password: str,
    now: int,
    *,
    user_id: int | None = None,
    failure_event: str = audit.LOGIN_FAILED,
) -> login_failure_items.AttemptSlot | None:
    """check_password's check, its slot returned for the caller to clear (None: a wrong password)."""
    settings = get_settings()
    slot = _take_attempt(account, client_ip, now)
    if not passwords.verify_password(password_hash, password):
        audit.record(failure_event, user_id, client_ip, account=None if user_id else account)
        if slot.is_last:  # the limit is reached now: locked out for a whole period from here
            login_failure_items.lock_out(account, client_ip, slot, now + settings.login_lockout_seconds)
            until = clock.iso_from_epoch(now + settings.login_lockout_seconds)
            audit.record(
                audit.LOCKED_OUT, user_id, client_ip, until=until, account=None if user_id else account
            )
        return None  # the slot stays taken: it is a failure
    return slot


def _take_attempt(account: str, client_ip: str, now: int) -> login_failure_items.AttemptSlot:
    """An attempt slot of this account+IP's window; RateLimited while the window's are used up."""
    settings = get_settings()
    try:
        return login_failure_items.take_attempt(
            account, client_ip, now, settings.login_lockout_seconds, settings.login_max_failures
        )
    except login_failure_items.LockedOut as locked:
        raise RateLimited(
            "Too many failed login attempts, try again later",
            retry_after=max(1, locked.until - now),
        ) from locked
