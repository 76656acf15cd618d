"""The largest message contents the validator accepts, by character: what a history page of
100 messages can be made of at worst (issue 9, item 10)."""

from bailian_chat.content import MAX_CONTENT_BYTES, MAX_PARTS, MAX_TEXT_CHARS, page_bytes

EMOJI = "\N{GRINNING FACE}"


def text(value: str) -> dict:
    return {"type": "text", "text": value}


def largest_content(character: str) -> list[dict]:
    """As many characters as a message takes: full text parts, then the longest last one."""
    parts: list[dict] = []
    while len(parts) < MAX_PARTS and page_bytes([*parts, text(character)]) <= MAX_CONTENT_BYTES:
        low, high = 1, MAX_TEXT_CHARS
        while low < high:
            middle = (low + high + 1) // 2
            fits = page_bytes([*parts, text(character * middle)]) <= MAX_CONTENT_BYTES
            low, high = (middle, high) if fits else (low, middle - 1)
        parts.append(text(character * low))
    return parts
