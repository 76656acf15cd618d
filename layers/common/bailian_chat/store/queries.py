"""Queries and batch deletes of the table: pages by offset (keys-only reads of the earlier
pages), a page with the item at its head (a count, the parent) or with its count, every item of a
key, a count, and BatchWriteItem deletes with retries."""

from collections.abc import Callable
from dataclasses import dataclass

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
        _, start_key = _skip(request, offset)
        if start_key is None:
            return []  # the collection ends before the page starts
    items, _ = _query(request, count=limit, start_key=start_key)
    return [from_item(item) for item in items]


def _skip(request: dict, offset: int, attributes: tuple[str, ...] = ()) -> tuple[list, dict | None]:
    """The Query's first `offset` items keys-only (and `attributes`), and the key to go on from."""
    read = {f"#skip{number}": name for number, name in enumerate(attributes)}
    projection = {"ProjectionExpression": ", ".join(["PK", "SK", *read])}
    names = {**request.get("ExpressionAttributeNames", {}), **read}
    if names:
        projection["ExpressionAttributeNames"] = names
    return _query({**request, **projection}, count=offset)


@dataclass(frozen=True)
class HeadedPage:
    """A header item and a page of the items after it (see query_headed_page)."""

    head: dict | None  # None: the Query found no header (e.g. one stored before it had index keys)
    items: list[dict]
    empty: bool  # the Query found nothing at all: no header, no item

    def count(self, attribute: str, stored_count: Callable[[], int]) -> int:
        """The header's count `attribute`; without a header, 0 for an empty list, else
        `stored_count()` (the count item read as before it was indexed: one more call)."""
        if self.head is not None:
            return int(self.head.get(attribute, 0))
        return 0 if self.empty else stored_count()


def query_headed_page(
    key_condition: str,
    values: dict,
    *,
    head: tuple[str, str],
    offset: int,
    limit: int,
    head_attributes: tuple[str, ...] = (),
    index: str | None = None,
    forward: bool = True,
    consistent: bool = False,
    filter_expression: str | None = None,
    names: dict[str, str] | None = None,
) -> HeadedPage:
    """The item keyed `head` (PK, SK) -- which must sort first in the Query's order, e.g. a count
    item indexed at the head of its list -- and the other items [offset, offset+limit): one Query
    for the first page. A later page skips the earlier items keys-only like query_page, reading
    `head_attributes` of the header too (it is among the skipped ones). A `filter_expression`
    (its attribute `names` given apart) must let the header through."""
    request = _query_request(
        key_condition,
        values,
        ScanIndexForward=forward,
        IndexName=index,
        ConsistentRead=consistent and index is None,
        FilterExpression=filter_expression,
        ExpressionAttributeNames=names,
    )
    skipped, start_key = _skip(request, offset, head_attributes) if offset else ([], None)
    # The header, if any, is the first item: read one more than the page so the page is whole
    # either way, then drop the header and slice (the slice never reaches a keys-only item).
    read = [] if offset and start_key is None else _query(request, count=limit + 1, start_key=start_key)[0]
    found = [from_item(item) for item in skipped + read]
    header = found.pop(0) if found and (found[0]["PK"], found[0]["SK"]) == head else None
    return HeadedPage(header, found[offset : offset + limit], empty=header is None and not found)


@dataclass(frozen=True)
class CountedPage:
    total: int  # how many items the Query matched that start with the counted prefix
    items: list[dict]  # those of them in [offset, offset+limit)
    others: list[dict]  # the items that do not start with it (e.g. a header in the same range)


def query_counted_page(
    key_condition: str, values: dict, *, counted_prefix: str, offset: int, limit: int, forward: bool = True
) -> CountedPage:
    """A page of the items whose SK starts with `counted_prefix` and how many there are, in one
    Query while the matched items fit in one response (1 MB): the items are read until the page
    is complete, the rest counted (Select=COUNT: the same read capacity as a count Query of them
    all, which this replaces). Items of other prefixes must sort ahead of the counted ones."""
    request = _query_request(key_condition, values, ScanIndexForward=forward)
    counted: list[dict] = []
    others: list[dict] = []
    start_key = None
    while len(counted) < offset + limit:
        response = client().query(**request, **({"ExclusiveStartKey": start_key} if start_key else {}))
        for item in response["Items"]:  # raw: only the page's items are deserialised
            (counted if item["SK"]["S"].startswith(counted_prefix) else others).append(item)
        start_key = response.get("LastEvaluatedKey")
        if start_key is None:
            break
    # The page is complete: every item after it is a counted one (the others sort ahead).
    rest = count(key_condition, values, forward=forward, start_key=start_key) if start_key else 0
    page = [from_item(item) for item in counted[offset : offset + limit]]
    return CountedPage(len(counted) + rest, page, [from_item(item) for item in others])


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


def count(key_condition: str, values: dict, *, forward: bool = True, start_key: dict | None = None) -> int:
    """How many items a Query matches (after `start_key`, if given, in the `forward` order):
    Select=COUNT, no item is returned, pages are followed."""
    request = _query_request(key_condition, values, Select="COUNT", ScanIndexForward=forward)
    total = 0
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
