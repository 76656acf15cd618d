"""Failed-login counters per account and client IP, for the login throttle."""

from bailian_chat.store import dynamodb, keys


def get_failures(account: str, client_ip: str) -> dict | None:
    return dynamodb.get_item(*keys.login_failures(account, client_ip), consistent=True)


def record_failure(account: str, client_ip: str, now: int, window_seconds: int) -> int:
    """Counts one failure in the current window (a stale window starts over); returns the count."""
    pk, sk = keys.login_failures(account, client_ip)
    try:
        item = dynamodb.update_item(
            pk,
            sk,
            "SET expires_at = if_not_exists(expires_at, :expires) ADD failures :one",
            {":expires": now + window_seconds, ":one": 1, ":now": now},
            ConditionExpression="attribute_not_exists(PK) OR expires_at > :now",
        )
        return item["failures"]
    except dynamodb.ConditionFailed:
        dynamodb.put_item({"PK": pk, "SK": sk, "failures": 1, "expires_at": now + window_seconds})
        return 1


def clear_failures(account: str, client_ip: str) -> None:
    dynamodb.delete_item(*keys.login_failures(account, client_ip))
