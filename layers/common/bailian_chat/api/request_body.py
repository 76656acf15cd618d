"""The request body as JSON: what a body may be, and the 400 message naming what is wrong with it.

No Powertools here: the streaming (ASGI) functions read bodies too, without the REST resolver."""

import json
import math

from bailian_chat.errors import BadRequest

# No request of this API needs more; beyond them a body is an attack, not data.
MAX_BODY_DEPTH = 32  # nesting of arrays and objects (the deepest body of the spec has 6)
MAX_NUMBER_CHARS = 100  # a number's literal (Python refuses int literals over 4,300 digits)
TOO_DEEP = f"Request body is nested too deeply (at most {MAX_BODY_DEPTH} levels of arrays and objects)"
TOO_LONG = f"Request body has a number that is too long (at most {MAX_NUMBER_CHARS} characters)"


def json_object(text: str) -> dict:
    """The request body's JSON, which must be a reasonable object: not nested deeper than
    MAX_BODY_DEPTH, numbers short and finite (no NaN/Infinity), text valid Unicode. (Powertools
    would otherwise unwrap a `[{...}]` body to its first element, a form-data convenience a JSON
    API must not have.)"""
    try:  # malformed JSON raises JSONDecodeError here and becomes Powertools' json_invalid
        body = json.loads(text, parse_int=_json_int, parse_float=_json_float, parse_constant=_json_constant)
    except RecursionError as exc:  # thousands of nested arrays: deeper than the parser's stack
        raise BadRequest(TOO_DEEP) from exc
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object")
    if _depth(body) > MAX_BODY_DEPTH:
        raise BadRequest(TOO_DEEP)
    try:  # JSON may escape lone UTF-16 surrogates ("\ud800"), which no store or hash can take
        json.dumps(body, ensure_ascii=False).encode()
    except UnicodeEncodeError as exc:
        raise BadRequest("Request body must be valid Unicode text (no lone surrogates)") from exc
    return body


def _json_int(literal: str) -> int:
    if len(literal) > MAX_NUMBER_CHARS:
        raise BadRequest(TOO_LONG)
    return int(literal)


def _json_float(literal: str) -> float:
    if len(literal) > MAX_NUMBER_CHARS:
        raise BadRequest(TOO_LONG)
    value = float(literal)
    if math.isinf(value):  # 1e400
        raise BadRequest("Request body has a number out of range")
    return value


def _json_constant(name: str):
    raise BadRequest(f"Request body must be standard JSON ({name} is not a JSON number)")


def _depth(value) -> int:
    """Nesting depth of arrays and objects (1 for a flat object), without recursion."""
    deepest, level = 0, [(value, 1)]
    while level:
        node, depth = level.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            level.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest


BODY_SHAPE_ERRORS = ("model_type", "missing", "model_attributes_type", "dict_type")


def _field_path(loc: tuple) -> str:
    """Dotted path of the field, without the location prefix and the union tags pydantic inserts
    (content.0.text.text -> content.0.text)."""
    if loc and loc[0] in ("body", "query", "path"):  # the location (only there: a field may be named so)
        loc = loc[1:]
    parts = [p for p in loc if not (isinstance(p, str) and "[" in p)]
    path = [part for i, part in enumerate(parts) if i == 0 or part != parts[i - 1] or isinstance(part, int)]
    return ".".join(str(part) for part in path)


def _most_telling(errors: list[dict]) -> dict:
    """The first error, unless it is a type mismatch of one branch of a union (content: a list of
    parts or a string) and another branch of that same field failed on its value: a string
    content with a NUL is "must not contain control characters", not "should be a valid list"."""
    first = errors[0]
    if not first.get("type", "").endswith("_type"):
        return first
    field = _field_path(tuple(first.get("loc", ())))
    return next(
        (
            error
            for error in errors[1:]
            if _field_path(tuple(error.get("loc", ()))).startswith(field)
            and not error.get("type", "").endswith("_type")
            and error.get("type") != "missing"
        ),
        first,
    )


def validation_message(errors: list[dict]) -> str:
    """A client-readable message that names the offending field."""
    if not errors:
        return "Request parameter error"
    error = _most_telling(errors)
    kind = error.get("type", "")
    field = _field_path(tuple(error.get("loc", ())))
    if kind == "json_invalid":
        return "Malformed JSON in request body"
    if not field:
        return (
            "Request body must be a JSON object" if kind in BODY_SHAPE_ERRORS else "Request parameter error"
        )
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    if kind == "missing":
        message = "is required"
    elif kind == "union_tag_invalid":
        return f"{field}.type: must be one of {error.get('ctx', {}).get('expected_tags', '')}"
    elif kind == "union_tag_not_found":
        return f"{field}.type: is required"
    elif kind.endswith("_type") or kind == "model_attributes_type":
        message = f"has the wrong type ({message[0].lower()}{message[1:]})"
    return f"{field}: {message}"
