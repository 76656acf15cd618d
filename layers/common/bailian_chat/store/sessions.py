"""Login sessions: one item each, expiring through the table's TTL."""

import contextlib

from bailian_chat.store import dynamodb, keys


def _session_item(session_id: str, user_id: int, refresh_jti: str, created_at: int, expires_at: int) -> dict:
    return {
        **keys.pk_sk(keys.session(session_id)),
        "session_id": session_id,
        "user_id": user_id,
        "refresh_jti": refresh_jti,
        "revoked": False,
        "created_at": created_at,
        "expires_at": expires_at,
    }


def create_session(session_id: str, user_id: int, refresh_jti: str, created_at: int, expires_at: int) -> None:
    dynamodb.put_item(
        _session_item(session_id, user_id, refresh_jti, created_at, expires_at),
        ConditionExpression="attribute_not_exists(PK)",
    )


def create_login_session(
    session_id: str, user_id: int, refresh_jti: str, created_at: int, expires_at: int, last_login_at: str
) -> None:
    """The new session and the user's last login time, in one TransactWriteItems (one round trip)."""
    dynamodb.transact_write(
        [
            {
                "Put": {
                    "Item": dynamodb.to_item(
                        _session_item(session_id, user_id, refresh_jti, created_at, expires_at)
                    ),
                    "ConditionExpression": "attribute_not_exists(PK)",
                }
            },
            {
                "Update": {
                    "Key": dynamodb.key(*keys.user(user_id)),
                    "UpdateExpression": "SET last_login_at = :when",
                    "ExpressionAttributeValues": dynamodb.to_values({":when": last_login_at}),
                }
            },
        ]
    )


def get_session_and_user(session_id: str, user_id: int) -> tuple[dict | None, dict | None]:
    """The session and its user's profile in one strongly consistent BatchGetItem."""
    found = dynamodb.get_items([keys.session(session_id), keys.user(user_id)], consistent=True)
    return found.get(keys.session(session_id)), dynamodb.without_keys(found.get(keys.user(user_id)))


def rotate_refresh(session_id: str, expected_jti: str, new_jti: str, now: int) -> dict:
    """Makes `new_jti` the current refresh token id if `expected_jti` still is (and the session is not
    revoked), keeping the replaced id and the time for the grace period. Returns the session as it
    then is: rotated by this call (refresh_jti == new_jti) or, if not, as another request left it."""
    try:
        return dynamodb.update_item(
            *keys.session(session_id),
            "SET refresh_jti = :new, previous_jti = :old, rotated_at = :now",
            {":new": new_jti, ":old": expected_jti, ":now": now, ":false": False},
            ConditionExpression="refresh_jti = :old AND revoked = :false",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except dynamodb.ConditionFailed as failed:
        return failed.item or {}


def revoke_session(session_id: str, reason: str) -> None:
    with contextlib.suppress(dynamodb.ConditionFailed):  # already gone: nothing to revoke
        dynamodb.update_item(
            *keys.session(session_id),
            "SET revoked = :true, revoked_reason = :reason",
            {":true": True, ":reason": reason},
            ConditionExpression="attribute_exists(PK)",
        )
