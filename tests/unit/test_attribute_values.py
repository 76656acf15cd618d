"""store/attribute_values.py against boto3's TypeSerializer/TypeDeserializer (boto3 is a dev
dependency only: the store never imports it), over generated values: what we write is what boto3
writes, and what we read from boto3's wire is boto3's value (numbers as int or float, not Decimal)."""

from decimal import Decimal
from typing import Any

import pytest
from bailian_chat.store.attribute_values import deserialize, serialize
from boto3.dynamodb.types import Binary, TypeDeserializer, TypeSerializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

BOTO3_WRITE = TypeSerializer().serialize
BOTO3_READ = TypeDeserializer().deserialize

# DynamoDB numbers: up to 38 significant digits, exponents -130..125 (boto3 refuses the rest).
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
    lambda d: len(d.as_tuple().digits) <= 38 and -130 <= d.adjusted() <= 125
)
scaled_decimals = st.builds(
    lambda digits, exponent: Decimal(digits).scaleb(exponent),
    st.integers(-(10**38) + 1, 10**38 - 1),
    st.integers(-90, 80),
)
integers = st.integers(-(10**38) + 1, 10**38 - 1)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=20),  # "" included: DynamoDB stores empty strings outside keys
    st.binary(max_size=20),
    integers,
    decimals,
    scaled_decimals,
    st.frozensets(st.text(max_size=8), min_size=1, max_size=5),
    st.frozensets(integers | scaled_decimals, min_size=1, max_size=5),
    st.frozensets(st.binary(max_size=8), min_size=1, max_size=5),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def as_read(value: Any) -> Any:
    """boto3's value as our codec reads it: numbers as int when integral, else float; sets as sets."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: as_read(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_read(item) for item in value]
    if isinstance(value, set | frozenset):
        return {as_read(item) for item in value}
    if isinstance(value, Binary):
        return value.value
    return value


@PROPERTY_SETTINGS
@given(values)
def test_we_write_what_boto3_writes(value):
    assert serialize(value) == BOTO3_WRITE(value)


@PROPERTY_SETTINGS
@given(values)
def test_we_read_boto3s_wire_as_boto3_does(value):
    wire = BOTO3_WRITE(value)

    assert deserialize(wire) == as_read(BOTO3_READ(wire))


@PROPERTY_SETTINGS
@given(values)
def test_round_trip(value):
    assert deserialize(serialize(value)) == as_read(value)


@pytest.mark.parametrize(
    "value",
    [
        {"nested": {"list": [1, Decimal("0.10"), "", b"", True, None, {"tags": {"a", "b"}}], "empty": {}}},
        [
            [],
            {},
            "",
            Decimal("1E+125"),
            Decimal("1E-130"),
            Decimal("-0.000000000000000000000000000000000000001"),
        ],
        {"money": Decimal("12345678901234567890.123456789012345678")},
    ],
    ids=["nested", "edges", "38-digits"],
)
def test_examples_match_boto3_both_ways(value):
    assert serialize(value) == BOTO3_WRITE(value)
    assert deserialize(serialize(value)) == as_read(BOTO3_READ(BOTO3_WRITE(value)))


@pytest.mark.parametrize("text", ["NaN", "Infinity"])
def test_nan_and_infinity_are_refused_as_boto3_refuses_them(text):
    for refuse in (serialize, BOTO3_WRITE):
        with pytest.raises(TypeError, match="Infinity and NaN not supported"):
            refuse(Decimal(text))


@pytest.mark.parametrize("text", ["NaN", "-NaN", "sNaN", "Infinity", "-Infinity"])
def test_no_non_finite_number_is_written_anywhere_in_a_value(text):
    # boto3 lets "-NaN", "sNaN" and "-Infinity" through to DynamoDB, which then rejects the call.
    value = Decimal(text)
    for container in (value, {"nested": [value]}, [{"deep": [value]}]):
        with pytest.raises(TypeError, match="Infinity and NaN not supported"):
            serialize(container)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=str)
def test_float_nan_and_infinity_are_refused(value):
    # boto3 refuses every float; the codec takes finite ones (logged parameters), never these.
    with pytest.raises(TypeError, match="Infinity and NaN not supported"):
        serialize(value)


@PROPERTY_SETTINGS
@given(st.floats(allow_nan=False, allow_infinity=False, width=64))
def test_finite_floats_round_trip(value):
    assert float(deserialize(serialize(value))) == value


@pytest.mark.parametrize(
    "value", [set(), {"a", 1}, {True}, object()], ids=["empty", "mixed", "bools", "object"]
)
def test_what_dynamodb_cannot_hold_is_a_type_error(value):
    with pytest.raises(TypeError):
        serialize(value)
