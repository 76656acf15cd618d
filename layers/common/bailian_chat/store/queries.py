"""Queries and batch deletes of the table: pages by offset (keys-only reads of the earlier
pages), every item of a key, a count, and BatchWriteItem deletes with retries."""

from bailian_chat.store.dynamodb import RETRY_ATTEMPTS, back_off, client, from_item, table_name, to_values


def _query(
    request: dict, *, count: int | None = None, start_key: dict | None = None
) -> tuple[list, dict | None]:
    """Raw items of a Query from `start_key`, following LastEvaluatedKey until `count` items (None:
    all of them); returns them and the key to go on from (None at the end)."""
    items: list = []
    while count is None or len(items) < count:
        limit = {} if count is None else {"Limit": count - len(items)}
        response = client().query(
            **request, **limit, **({"ExclusiveStartKey": start_key} if start_key else {})
        )
        items.extend(response["Items"])
        start_key = response.get("LastEvaluatedKey")
        if start_key is None:
            break
    return items, start_key


def _query_request(key_condition: str, values: dict, **options) -> dict:
    return {
        "TableName": table_name(),
        "KeyConditionExpression": key_condition,
        "ExpressionAttributeValues": to_values(values),
        **{name: value for name, value in options.items() if value is not None},
    }


def query_page(
    key_condition: str,
    values: dict,
    *,
    offset: int,
    limit: int,
    index: str | None = None,
    forward: bool = True,
    consistent: bool = False,
    filter_expression: str | None = None,
) -> list[dict]:
    """Items [offset, offset+limit) of a Query (of those matching `filter_expression`, if given).

    Page numbers mean an offset: the items before it are read keys-only (smaller responses)
    and dropped, so page 1 costs one small Query however large the collection is.
    """
    request = _query_request(
        key_condition,
        values,
        FilterExpression=filter_expression,
        ScanIndexForward=forward,
        IndexName=index,
        ConsistentRead=consistent and index is None,  # a GSI cannot be read consistently
    )
    start_key = None
    if offset:
        _, start_key = _query({**request, "ProjectionExpression": "PK, SK"}, count=offset)
        if start_key is None:
            return []  # the collection ends before the page starts
    items, _ = _query(request, count=limit, start_key=start_key)
    return [from_item(item) for item in items]


def query_all(
    key_condition: str,
    values: dict,
    *,
    projection: str | None = None,
    names: dict[str, str] | None = None,
    index: str | None = None,
    raw: bool = False,
    consistent: bool = False,
) -> list[dict]:
    """Every item a Query matches (`raw` keeps DynamoDB's typed form)."""
    request = _query_request(
        key_condition,
        values,
        ProjectionExpression=projection,
        ExpressionAttributeNames=names,
        IndexName=index,
        ConsistentRead=consistent,
    )
    items, _ = _query(request)
    return items if raw else [from_item(item) for item in items]


def query_pages(
    key_condition: str,
    values: dict,
    *,
    projection: str,
    index: str | None = None,
    names: dict | None = None,
    page_size: int = 500,
):
    """A Query's items page by page (at most `page_size` each, `projection` only): bounded work
    per step for a caller that may stop between pages."""
    request = _query_request(
        key_condition,
        values,
        ProjectionExpression=projection,
        IndexName=index,
        ExpressionAttributeNames=names,
    )
    start_key = None
    while True:
        items, start_key = _query(request, count=page_size, start_key=start_key)
        if items:
            yield [from_item(item) for item in items]
        if start_key is None:
            return


def count(key_condition: str, values: dict) -> int:
    """How many items a Query matches (Select=COUNT: no item is returned, pages are followed)."""
    request = _query_request(key_condition, values, Select="COUNT")
    total, start_key = 0, None
    while True:
        response = client().query(**request, **({"ExclusiveStartKey": start_key} if start_key else {}))
        total += response["Count"]
        start_key = response.get("LastEvaluatedKey")
        if start_key is None:
            return total


def batch_delete(item_keys: list[dict]) -> None:
    """Deletes raw keys 25 at a time, retrying unprocessed ones with backoff."""
    for start in range(0, len(item_keys), 25):
        requests = [{"DeleteRequest": {"Key": k}} for k in item_keys[start : start + 25]]
        for attempt in range(RETRY_ATTEMPTS):
            response = client().batch_write_item(RequestItems={table_name(): requests})
            requests = response.get("UnprocessedItems", {}).get(table_name(), [])
            if not requests:
                break
            back_off(attempt)
        else:
            raise RuntimeError("batch delete left unprocessed items")
