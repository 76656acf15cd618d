"""Fixed-window request counters in the table, so a limit holds across concurrent Lambda instances."""

from bailian_chat.store import dynamodb, keys


def take(user_id: int, window_start: int, window_seconds: int, limit: int) -> bool:
    """Counts one request in the window; False (and nothing counted) when the window is full."""
    return _take(keys.rate_window(user_id, window_start), window_start, window_seconds, limit)


def take_for_key(key_id: int, window_start: int, window_seconds: int, limit: int) -> bool:
    """The same for one API key's own window."""
    return _take(keys.api_key_rate_window(key_id, window_start), window_start, window_seconds, limit)


def _take(window: tuple[str, str], window_start: int, window_seconds: int, limit: int) -> bool:
    try:
        dynamodb.update_item(
            *window,
            "SET expires_at = :expires ADD #count :one",
            {":one": 1, ":limit": limit, ":expires": window_start + 2 * window_seconds},
            ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
            ExpressionAttributeNames={"#count": "count"},
        )
    except dynamodb.ConditionFailed:
        return False
    return True
