"""A one-off, off the request path: gives users and sessions stored before issue 13 what the
account routes read (directory entries on GSI1, the active-admin count, session pointers), and
users stored before the admin user list what it reads (their GSI2 entry and count). Run by
`python -m local.make_admin --backfill`; it Scans the whole table (a tool, never a request), and
is idempotent: running it again changes nothing."""

from bailian_chat import clock
from bailian_chat.store import account_items, dynamodb, keys, user_list_items


def _scan(filter_expression: str, values: dict, names: dict | None = None):
    request = {
        "TableName": dynamodb.table_name(),
        "FilterExpression": filter_expression,
        "ExpressionAttributeValues": dynamodb.to_values(values),
        **({"ExpressionAttributeNames": names} if names else {}),
    }
    start_key = None
    while True:
        response = dynamodb.client().scan(
            **request, **({"ExclusiveStartKey": start_key} if start_key else {})
        )
        for item in response["Items"]:
            yield dynamodb.from_item(item)
        start_key = response.get("LastEvaluatedKey")
        if not start_key:
            return


def backfill() -> dict[str, int]:
    """Returns how many items of each kind it wrote."""
    written = {"users": 0, "emails": 0, "session_pointers": 0, "listed": 0}
    admins = 0
    users = list(_scan("SK = :profile AND begins_with(PK, :user)", {":profile": "PROFILE", ":user": "USER#"}))
    for user in users:
        admins += account_items.is_active_admin(user)
        if "GSI1PK" not in user:
            dynamodb.update_item(
                user["PK"],
                user["SK"],
                "SET GSI1PK = :dir, GSI1SK = :entry",
                {
                    ":dir": keys.USER_DIRECTORY,
                    ":entry": keys.directory_username(user["username"], user["user_id"]),
                },
            )
            written["users"] += 1
        email = dynamodb.get_item(*keys.email(user["email"]), consistent=True)
        if email and (email.get("GSI1PK") is None or email.get("status") != user.get("status")):
            dynamodb.update_item(
                *keys.email(user["email"]),
                "SET GSI1PK = :dir, GSI1SK = :entry, #status = :status",
                {
                    ":dir": keys.USER_DIRECTORY,
                    ":entry": keys.directory_email(user["email"], user["user_id"]),
                    ":status": user.get("status"),
                },
                ExpressionAttributeNames={"#status": "status"},
            )
            written["emails"] += 1
    dynamodb.put_item({**keys.pk_sk(keys.active_admins()), "value": admins})
    written["listed"] = sum(user_list_items.index_user(user) for user in users)
    user_list_items.mark_indexed()  # every user is listed and counted: the list reads the count
    now = clock.now_epoch()
    for session in _scan("SK = :session", {":session": "SESSION"}):
        if session.get("revoked") or session.get("expires_at", 0) <= now:
            continue
        pointer = keys.user_session(session["user_id"], session["session_id"])
        try:
            dynamodb.put_item(
                {
                    **keys.pk_sk(pointer),
                    "session_id": session["session_id"],
                    "created_at": session["created_at"],
                    "expires_at": session["expires_at"],
                },
                ConditionExpression="attribute_not_exists(PK)",
            )
            written["session_pointers"] += 1
        except dynamodb.ConditionFailed:
            pass
    return {**written, "active_admins": admins}
