"""DynamoDB stream records (as Lambda hands them) read into plain values."""

from bailian_chat.store import dynamodb


def images(record: dict) -> tuple[dict, dict, dict]:
    """The record's keys, new image and old image (empty when the view or the event has none)."""
    stream = record.get("dynamodb", {})
    return (
        dynamodb.from_item(stream.get("Keys")) or {},
        dynamodb.from_item(stream.get("NewImage")) or {},
        dynamodb.from_item(stream.get("OldImage")) or {},
    )


def sequence_number(record: dict) -> str:
    return record.get("dynamodb", {}).get("SequenceNumber", "")
