"""API-call log items, written with their daily rollup in one transaction so totals are exact."""

from bailian_chat.store import counters, dynamodb, keys, rollups


def record_call(call: dict, created_ms: int, day: str) -> dict:
    call_id = counters.next_id("api_call")
    stored = {**call, "id": call_id}
    sort_key = keys.api_call_time(created_ms, call_id)
    item = {
        "PK": keys.api_calls(call["user_id"]),
        "SK": sort_key,
        "GSI2PK": keys.api_calls(call["user_id"], call["model_name"]),
        "GSI2SK": sort_key,
        **stored,
    }
    dynamodb.transact_write(
        [
            {"Put": {"Item": dynamodb.to_item(item), "ConditionExpression": "attribute_not_exists(PK)"}},
            rollups.add_action(
                call["user_id"], day, call["model_name"], tokens=call["total_tokens"], calls=1
            ),
        ]
    )
    return stored


def list_calls(
    user_id: int, model_name: str | None, start_ms: int, end_ms: int, offset: int, limit: int
) -> list[dict]:
    """Newest first, within [start_ms, end_ms]."""
    attribute, index = ("PK", None) if model_name is None else ("GSI2PK", "GSI2")
    sort_attribute = "SK" if model_name is None else "GSI2SK"
    items = dynamodb.query_page(
        f"{attribute} = :pk AND {sort_attribute} BETWEEN :start AND :end",
        {
            ":pk": keys.api_calls(user_id, model_name),
            ":start": f"{start_ms:015d}#",
            ":end": f"{end_ms:015d}#~",
        },
        offset=offset,
        limit=limit,
        index=index,
        forward=False,
    )
    return [dynamodb.without_keys(item) for item in items]
