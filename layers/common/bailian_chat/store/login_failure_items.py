"""Login attempt slots per account and client IP, for the login throttle.

One item per account+IP and window: `attempts` counts every attempt taken in the window (taken
before the password is checked, so parallel guesses cannot overtake the count), `limit_at` is the
attempt number the window stops at, and a success moves it on past the attempts it clears.
Comparing two attributes keeps the take one conditional UpdateItem (conditions cannot add).
"""

import contextlib
from dataclasses import dataclass

from bailian_chat.store import dynamodb, keys

MAX_TAKE_TRIES = 3  # a stale window is reset once; a racing reset only sends us round again


@dataclass(frozen=True)
class AttemptSlot:
    number: int  # this attempt's number in the window
    limit_at: int  # the number of the window's last attempt (as this one found it)
    window_ends: int

    @property
    def is_last(self) -> bool:
        return self.number >= self.limit_at


class LockedOut(Exception):
    def __init__(self, until: int):
        super().__init__(f"locked out until {until}")
        self.until = until


def take_attempt(
    account: str, client_ip: str, now: int, window_seconds: int, max_attempts: int
) -> AttemptSlot:
    """Takes the next attempt slot of the window (a new window when there is none or it ended);
    LockedOut when the window's attempts are used up."""
    pk, sk = keys.login_failures(account, client_ip)
    for _ in range(MAX_TAKE_TRIES):
        try:
            item = dynamodb.update_item(
                pk,
                sk,
                "SET expires_at = if_not_exists(expires_at, :expires), "
                "limit_at = if_not_exists(limit_at, :max) ADD attempts :one",
                {":expires": now + window_seconds, ":max": max_attempts, ":one": 1, ":now": now},
                ConditionExpression="attribute_not_exists(PK) OR (expires_at > :now AND attempts < limit_at)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
            return AttemptSlot(item["attempts"], item["limit_at"], item["expires_at"])
        except dynamodb.ConditionFailed as failed:
            old = failed.item or {}
            if "limit_at" in old and old["expires_at"] > now:
                raise LockedOut(old["expires_at"]) from failed
            slot = _start_new_window(pk, sk, old.get("expires_at"), now, window_seconds, max_attempts)
            if slot:
                return slot
    raise LockedOut(now + 1)  # the window kept changing under us: refuse rather than skip the count


def _start_new_window(
    pk: str, sk: str, stale_expiry: int | None, now: int, window_seconds: int, max_attempts: int
) -> AttemptSlot | None:
    """Replaces the ended window with a new one holding this attempt; None if another request did first."""
    expires = now + window_seconds
    try:
        dynamodb.update_item(
            pk,
            sk,
            "SET attempts = :one, limit_at = :max, expires_at = :expires",
            {":one": 1, ":max": max_attempts, ":expires": expires, ":stale": stale_expiry},
            ConditionExpression="expires_at = :stale",
        )
    except dynamodb.ConditionFailed:
        return None
    return AttemptSlot(1, max_attempts, expires)


def clear_through(account: str, client_ip: str, slot: AttemptSlot, max_attempts: int) -> None:
    """After a success: the attempts up to and including `slot` no longer count (later ones, still in
    flight, do). Nothing happens if the window has changed or a later success already cleared more."""
    with contextlib.suppress(dynamodb.ConditionFailed):
        dynamodb.update_item(*keys.login_failures(account, client_ip), **_clearing(slot, max_attempts))


def clear_through_action(account: str, client_ip: str, slot: AttemptSlot, max_attempts: int) -> dict:
    """clear_through as an action of the login's own transaction (one round trip fewer); its
    condition failing cancels that transaction, which the caller then writes again without it."""
    clearing = _clearing(slot, max_attempts)
    return {
        "Update": {
            "Key": dynamodb.key(*keys.login_failures(account, client_ip)),
            "UpdateExpression": clearing["expression"],
            "ExpressionAttributeValues": dynamodb.to_values(clearing["values"]),
            "ConditionExpression": clearing["ConditionExpression"],
        }
    }


def _clearing(slot: AttemptSlot, max_attempts: int) -> dict:
    return {
        "expression": "SET limit_at = :limit",
        "values": {":limit": slot.number + max_attempts, ":window": slot.window_ends},
        "ConditionExpression": "expires_at = :window AND limit_at < :limit",
    }


def lock_out(account: str, client_ip: str, slot: AttemptSlot, until: int) -> None:
    """After the window's last attempt failed: the window (and so the lockout) lasts until `until`,
    a whole lockout period from now, however late in the window the limit was reached."""
    with contextlib.suppress(dynamodb.ConditionFailed):  # the window changed meanwhile: leave it
        dynamodb.update_item(
            *keys.login_failures(account, client_ip),
            "SET expires_at = :until",
            {":until": until, ":window": slot.window_ends},
            ConditionExpression="expires_at = :window",
        )
