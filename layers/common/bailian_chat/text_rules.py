"""The character rules of every text field the API accepts, in one place.

- Control characters (Unicode category Cc) are refused everywhere; message text may hold tab, line
  feed and carriage return (browsers submit a textarea's line breaks as CRLF, Windows clients send
  CRLF: refusing CR would refuse ordinary text). Text is stored as sent, never silently cleaned.
- A title (or nickname) must show something: whitespace, format characters (Cf: zero-width space,
  BOM, word joiner, bidi controls, ...) and the other default-ignorable code points (Hangul fillers,
  variation selectors, ...) or a braille blank alone count as empty.
- Usernames and emails are ASCII, so that the case-insensitive key of an identifier is plain ASCII
  lower-casing: no Unicode folding can map one spelling onto another's account (the Kelvin sign
  U+212A lower-cases to "k").
"""

import re
import unicodedata

# Category Cc is closed by Unicode's stability policy: exactly U+0000-U+001F and U+007F-U+009F.
ANY_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
CONTROL_EXCEPT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # not \t \n \r

# Default_Ignorable_Code_Point (DerivedCoreProperties.txt) outside category Cf, plus the braille
# blank: rendered as nothing (or as blank space) by every font.
_IGNORABLE_RANGES = (
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x115F, 0x1160),  # Hangul choseong / jungseong fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian free variation selectors (and U+180E, Cf)
    (0x2065, 0x2065),
    (0x2800, 0x2800),  # braille pattern blank
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),
    (0xE0000, 0xE0FFF),  # tags, variation selectors supplement
)
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _without(pattern: re.Pattern, value: str) -> str:
    if found := pattern.search(value):
        raise ValueError(f"must not contain control characters (found U+{ord(found.group()):04X})")
    return value


def single_line_text(value: str) -> str:
    """Pydantic validator: no control character at all (titles, names, URLs, identifiers)."""
    return _without(ANY_CONTROL_CHARACTER, value)


def message_text(value: str) -> str:
    """Pydantic validator: no control character but tab, line feed and carriage return."""
    return _without(CONTROL_EXCEPT_LINE_BREAKS, value)


def visible_line(value: str) -> str | None:
    """A one-line display text (title, nickname) trimmed, or None when it is blank or shows nothing.
    ValueError on a control character, at the ends too (only ordinary blank text is trimmed away
    silently)."""
    if not value.strip():
        return None
    value = single_line_text(value).strip()
    return value if shows_something(value) else None


def is_invisible(character: str) -> bool:
    if character.isspace() or unicodedata.category(character) in _INVISIBLE_CATEGORIES:
        return True
    code = ord(character)
    return any(low <= code <= high for low, high in _IGNORABLE_RANGES)


def shows_something(value: str) -> bool:
    """Whether the text has at least one visible character (stops at the first one)."""
    return not all(is_invisible(character) for character in value)


def identifier_key(value: str) -> str | None:
    """The case-insensitive key of a username or email: ASCII lower-casing. None for text with any
    non-ASCII character, which no account can hold."""
    return value.lower() if value.isascii() else None
