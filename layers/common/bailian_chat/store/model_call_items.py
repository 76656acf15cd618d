"""API-call log items, written with their daily rollup in one transaction so totals are exact."""

from bailian_chat.store import dynamodb, ids, keys, queries, rollup_items, transactions
from bailian_chat.store.budget_items import RESERVATION
from bailian_chat.store.item_types import ModelCallItem

# A call id's claim outlives any clock skew between containers, then the table's TTL removes it.
CALL_ID_CLAIM_SECONDS = 7 * 86_400


def record_call(
    call: dict,
    created_ms: int,
    day: str,
    cost_nanos: int = 0,
    settlement: list[transactions.NamedAction] = (),
    settlement_unreserved: list[transactions.NamedAction] | None = None,
) -> ModelCallItem:
    """Writes the call item under a new id, its rollups (`cost_nanos` added to their cost) and the
    spend `settlement` actions in one transaction. Should the call's reservation (the action named
    RESERVATION) be gone (released after its lease), it is written again with
    `settlement_unreserved` instead."""
    return ids.write_with_new_id(
        "api_call",
        lambda call_id: _record_call(
            call, call_id, created_ms, day, cost_nanos, settlement, settlement_unreserved
        ),
    )


def _record_call(
    call: dict,
    call_id: int,
    created_ms: int,
    day: str,
    cost_nanos: int,
    settlement: list[transactions.NamedAction],
    settlement_unreserved: list[transactions.NamedAction] | None,
) -> ModelCallItem:
    stored = {**call, "id": call_id}
    sort_key = keys.api_call_time(created_ms, call_id)
    item = {
        "PK": keys.api_calls(call["user_id"]),
        "SK": sort_key,
        "GSI2PK": keys.api_calls(call["user_id"], call["model_name"]),
        "GSI2SK": sort_key,
        **stored,
    }
    claim = {
        **keys.pk_sk(keys.api_call_id(call_id)),
        "expires_at": created_ms // 1000 + CALL_ID_CLAIM_SECONDS,
    }
    counts = {"tokens": call["total_tokens"], "calls": 1, "cost_nanos": cost_nanos}
    actions = [
        ("call_id", transactions.put_if_absent(claim)),
        ("rollup", rollup_items.add_action(call["user_id"], day, call["model_name"], **counts)),
    ]
    key_id = call.get("api_key_id")
    if key_id is not None:  # the key's own partition and totals, for 5.1's api_key_id filter
        item.update(GSI1PK=keys.api_key_calls(call["user_id"], key_id), GSI1SK=sort_key)
        rollup = rollup_items.add_key_action(call["user_id"], key_id, day, call["model_name"], **counts)
        actions.append(("key_rollup", rollup))
    actions.insert(0, ("call", transactions.put_if_absent(item)))
    try:
        transactions.write([*actions, *settlement])
    except dynamodb.TransactionCancelled as exc:
        failed = transactions.failed(exc, [*actions, *settlement])
        if failed & {"call", "call_id"}:
            raise ids.IdTaken() from exc
        if RESERVATION not in failed or settlement_unreserved is None:
            raise
        transactions.write([*actions, *settlement_unreserved])
    return stored


def list_calls(
    user_id: int,
    model_name: str | None,
    start_ms: int,
    end_ms: int,
    offset: int,
    limit: int,
    api_key_id: int | None = None,
) -> list[ModelCallItem]:
    """Newest first, within [start_ms, end_ms]; of one model, of one API key, or of both (the
    key's partition, filtered by model)."""
    if api_key_id is not None:
        pk, index = keys.api_key_calls(user_id, api_key_id), "GSI1"
    elif model_name is not None:
        pk, index = keys.api_calls(user_id, model_name), "GSI2"
    else:
        pk, index = keys.api_calls(user_id), None
    by_model = api_key_id is not None and model_name is not None
    items = queries.query_page(
        f"{index or ''}PK = :pk AND {index or ''}SK BETWEEN :start AND :end",
        {
            ":pk": pk,
            ":start": f"{start_ms:015d}#",
            ":end": f"{end_ms:015d}#~",
            **({":model": model_name} if by_model else {}),
        },
        offset=offset,
        limit=limit,
        index=index,
        forward=False,
        filter_expression="model_name = :model" if by_model else None,
    )
    return [dynamodb.without_keys(item) for item in items]
