"""Fixed-window request counters in the table, so a limit holds across concurrent Lambda instances."""

from bailian_chat.store import dynamodb, keys


def take(user_id: int, window_start: int, window_seconds: int, limit: int) -> bool:
    """Counts one request in the window; False (and nothing counted) when the window is full."""
    try:
        dynamodb.update_item(
            *keys.rate_window(user_id, window_start),
            "SET expires_at = :expires ADD #count :one",
            {":one": 1, ":limit": limit, ":expires": window_start + 2 * window_seconds},
            ConditionExpression="attribute_not_exists(#count) OR #count < :limit",
            ExpressionAttributeNames={"#count": "count"},
        )
    except dynamodb.ConditionFailed:
        return False
    return True
