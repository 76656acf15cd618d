"""Login sessions: one item each, expiring through the table's TTL."""

import contextlib

from bailian_chat.store import budget_items, dynamodb, keys, queries, transactions
from bailian_chat.store.item_types import SessionItem, SpendLimits, UserItem


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
    session_id: str,
    user_id: int,
    refresh_jti: str,
    created_at: int,
    expires_at: int,
    last_login_at: str,
    client: dict | None = None,
    also: list[dict] = (),
    if_still_due: dict | None = None,
) -> None:
    """The new session, its pointer under the user (so the user's sessions are one Query; `client`:
    client_ip and user_agent), the user's last login time, `also` (the login's audit item) and
    `if_still_due` (the login throttle's clearing, whose condition may fail: the rest is then
    written again without it), in one TransactWriteItems."""
    pointer = {
        **keys.pk_sk(keys.user_session(user_id, session_id)),
        "session_id": session_id,
        "created_at": created_at,
        "expires_at": expires_at,
        **(client or {}),
    }
    session = _session_item(session_id, user_id, refresh_jti, created_at, expires_at)
    actions: list[transactions.NamedAction] = [
        ("session", transactions.put_if_absent(session)),
        ("pointer", {"Put": {"Item": dynamodb.to_item(pointer)}}),
        (
            "last login",
            {
                "Update": {
                    "Key": dynamodb.key(*keys.user(user_id)),
                    "UpdateExpression": "SET last_login_at = :when",
                    "ExpressionAttributeValues": dynamodb.to_values({":when": last_login_at}),
                }
            },
        ),
        *(("also", action) for action in also),
    ]
    if if_still_due is None:
        transactions.write(actions)
        return
    with_clearing = [*actions, ("if still due", if_still_due)]
    try:
        transactions.write(with_clearing)
    except dynamodb.TransactionCancelled as cancelled:
        if transactions.failed(cancelled, with_clearing) != {"if still due"}:
            raise
        transactions.write(actions)


def get_session_and_user(
    session_id: str, user_id: int, *, with_limits: bool = True
) -> tuple[SessionItem | None, UserItem | None, SpendLimits]:
    """The session, its user's profile and (`with_limits`) the user's spend limits
    (`budget_items.limits_of`), in one strongly consistent BatchGetItem: the limits ride along to
    the model-calling functions; without them, {}."""
    pairs = [keys.session(session_id), keys.user(user_id)]
    if with_limits:
        pairs.append(keys.budget_limits(user_id))
    found = dynamodb.get_items(pairs, consistent=True)
    user = found.get(keys.user(user_id))
    limits = budget_items.limits_of(found.get(keys.budget_limits(user_id)), user) if with_limits else {}
    return found.get(keys.session(session_id)), dynamodb.without_keys(user), limits


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


def user_sessions(user_id: int) -> list[tuple[dict, dict | None]]:
    """The user's session pointers (newest first), each with its session item (None if gone)."""
    pointers = queries.query_all(
        "PK = :pk AND begins_with(SK, :prefix)",
        {":pk": keys.user(user_id)[0], ":prefix": keys.USER_SESSIONS_PREFIX},
        consistent=True,
    )
    found: dict = {}
    session_keys = [keys.session(pointer["session_id"]) for pointer in pointers]
    for start in range(0, len(session_keys), 100):
        found.update(dynamodb.get_items(session_keys[start : start + 100], consistent=True))
    pairs = [(pointer, found.get(keys.session(pointer["session_id"]))) for pointer in pointers]
    return sorted(pairs, key=lambda pair: pair[0]["created_at"], reverse=True)


def get_session(session_id: str) -> SessionItem | None:
    return dynamodb.get_item(*keys.session(session_id), consistent=True)


def end_session(user_id: int, session_id: str, reason: str) -> None:
    """Revokes the session and drops its pointer, in one transaction; a pointer whose session is
    already gone (expired by TTL) is just dropped."""
    revoke = transactions.update_if_exists(
        keys.session(session_id),
        "SET revoked = :true, revoked_reason = :reason",
        {":true": True, ":reason": reason},
    )
    actions = [
        ("session", revoke),
        ("pointer", {"Delete": {"Key": dynamodb.key(*keys.user_session(user_id, session_id))}}),
    ]
    try:
        transactions.write(actions)
    except dynamodb.TransactionCancelled as exc:
        if "session" not in transactions.failed(exc, actions):
            raise
        dynamodb.delete_item(*keys.user_session(user_id, session_id))


def reissue_refresh(session_id: str, new_jti: str, now: int) -> dict:
    """Makes `new_jti` the session's refresh token with no grace for the ones before it; returns the
    session. ConditionFailed if it was revoked meanwhile."""
    return dynamodb.update_item(
        *keys.session(session_id),
        "SET refresh_jti = :new, rotated_at = :now REMOVE previous_jti",
        {":new": new_jti, ":now": now, ":false": False},
        ConditionExpression="attribute_exists(PK) AND revoked = :false",
    )
