"""Request bodies that are JSON but not a reasonable JSON object (issue 9, item 1), with the message
each is refused with: a number of thousands of digits (Python refuses int literals over 4,300
digits), arrays nested ~20,000 deep (RecursionError), NaN/Infinity, 1e400. Shared by the suites of
the Lambda routes and of the streaming routes."""

import pytest

HUGE_NUMBER = "9" * 5000
DEEP = 20_000
TOO_DEEP = "Request body is nested too deeply (at most 32 levels of arrays and objects)"
TOO_LONG = "Request body has a number that is too long (at most 100 characters)"

HOSTILE_BODIES = [
    pytest.param('{"username": ' + HUGE_NUMBER + "}", TOO_LONG, id="5000-digit-int"),
    pytest.param('{"title": -' + HUGE_NUMBER + "}", TOO_LONG, id="5000-digit-negative-int"),
    pytest.param('{"x": 0.' + HUGE_NUMBER + "}", TOO_LONG, id="5000-digit-float"),
    pytest.param('{"temperature": 1e400}', "Request body has a number out of range", id="1e400"),
    pytest.param(
        '{"temperature": NaN}', "Request body must be standard JSON (NaN is not a JSON number)", id="NaN"
    ),
    pytest.param(
        '{"max_tokens": -Infinity}',
        "Request body must be standard JSON (-Infinity is not a JSON number)",
        id="-Infinity",
    ),
    pytest.param("[" * DEEP + "]" * DEEP, TOO_DEEP, id="20000-deep-array"),
    pytest.param('{"title": ' + "[" * DEEP + "]" * DEEP + "}", TOO_DEEP, id="20000-deep-in-a-field"),
    pytest.param('{"a": ' + '{"a": ' * 2000 + "1" + "}" * 2001, TOO_DEEP, id="2000-deep-objects"),
    pytest.param('{"extra": ' + "[" * 40 + "]" * 40 + "}", TOO_DEEP, id="41-levels"),
]
