"""The price table and exact costs: tiers chosen by prompt tokens (the boundary is inclusive),
thinking output at its own price, decimal arithmetic rounded half to even at 1e-9, a deployment's
PRICE_TABLE override, a model without a price (cost 0, a warning metric), costs fixed at call time,
and GET /api/models (public) showing every configured model's pricing."""

import json
from decimal import Decimal

import pytest
from bailian_chat.config import ConfigError
from bailian_chat.usage import money, pricing

M = Decimal(1_000_000)


def test_a_qwen3_max_prompt_on_the_tier_boundary_is_priced_in_the_lower_tier():
    # 32K (32768) prompt tokens is still the first tier: $1.2 in / $6 out per million
    at_bound = pricing.call_cost("qwen3-max", 32_768, 1_000, thinking=False)
    assert at_bound == money.quantize((32_768 * Decimal("1.2") + 1_000 * Decimal(6)) / M)
    assert money.text(at_bound) == "0.045321600"
    # one token more and the whole call moves to the second tier: $2.4 / $12
    above = pricing.call_cost("qwen3-max", 32_769, 1_000, thinking=False)
    assert money.text(above) == money.text((32_769 * Decimal("2.4") + 1_000 * Decimal(12)) / M)
    assert money.text(above) == "0.090645600"
    # and beyond 128K, the third tier
    assert pricing.call_cost("qwen3-max", 131_073, 0, thinking=False) == money.quantize(
        131_073 * Decimal(3) / M
    )


def test_thinking_output_is_priced_at_the_thinking_price():
    plain = pricing.call_cost("qwen-plus", 100, 1_000, thinking=False)
    thinking = pricing.call_cost("qwen-plus", 100, 1_000, thinking=True)
    assert money.text(plain) == "0.001240000"  # 100 x 0.4 + 1000 x 1.2, per million
    assert money.text(thinking) == "0.004040000"  # 100 x 0.4 + 1000 x 4
    # a model without a separate thinking price bills thinking output at its output price
    assert pricing.call_cost("qwen-max", 10, 10, thinking=True) == pricing.call_cost(
        "qwen-max", 10, 10, thinking=False
    )


def test_costs_are_rounded_half_to_even_at_nine_decimals(unit_env):
    # $0.0005 per million tokens: 5e-10 a token, half of the smallest unit
    unit_env(
        PRICE_TABLE=json.dumps(
            {"tiny": {"tiers": [{"max_input_tokens": None, "input": "0.0005", "output": "0"}]}}
        )
    )
    assert [money.text(pricing.call_cost("tiny", n, 0, thinking=False)) for n in (1, 3, 5)] == [
        "0.000000000",  # 0.5e-9 -> 0 (even)
        "0.000000002",  # 1.5e-9 -> 2
        "0.000000002",  # 2.5e-9 -> 2
    ]
    assert isinstance(pricing.call_cost("tiny", 3, 0, thinking=False), Decimal)


def test_a_model_without_a_price_costs_zero_and_says_so(unit_env, capsys):
    unit_env(ALLOWED_MODELS="qwen-plus,qwen-unpriced")
    cost = pricing.call_cost("qwen-unpriced", 1_000, 1_000, thinking=False)

    assert cost == Decimal(0) and money.text(cost) == "0.000000000"
    assert pricing.public_pricing("qwen-unpriced") is None
    assert '"UnpricedModelCall":[1.0]' in capsys.readouterr().out  # the EMF metric an alarm can watch


def test_a_deployment_overrides_prices_and_currency(unit_env):
    override = {
        "currency": "EUR",
        "qwen-plus": {"tiers": [{"max_input_tokens": None, "input": "1", "output": "2"}]},
    }
    unit_env(PRICE_TABLE=json.dumps(override))

    assert pricing.currency() == "EUR"
    assert money.text(pricing.call_cost("qwen-plus", 1_000_000, 1_000_000, thinking=True)) == "3.000000000"
    assert pricing.model_price("qwen-max") is not None  # the file's other models stay


@pytest.mark.parametrize(
    "table",
    [
        "[1, 2]",
        "{not json",
        json.dumps({"m": {"tiers": []}}),
        json.dumps({"m": {"tiers": [{"max_input_tokens": None, "input": "x", "output": "1"}]}}),
        json.dumps({"m": {"tiers": [{"max_input_tokens": None, "input": "-1", "output": "1"}]}}),
        json.dumps(
            {
                "m": {
                    "tiers": [
                        {"max_input_tokens": None, "input": "1", "output": "1"},
                        {"max_input_tokens": 5, "input": "1", "output": "1"},
                    ]
                }
            }
        ),
    ],
)
def test_a_malformed_price_table_stops_the_function_with_a_clear_error(unit_env, table):
    unit_env(PRICE_TABLE=table)
    with pytest.raises(ConfigError, match=r"PRICE_TABLE|price table"):
        pricing.currency()
        pricing.model_price("m")


def test_the_file_names_its_source_and_date_and_prices_every_default_model(unit_env):
    from bailian_chat.config import DEFAULT_MODELS

    declared = json.loads(pricing.PRICES_FILE.read_text())
    assert "alibabacloud.com" in declared["source"]
    assert declared["as_of"] and declared["currency"] == "USD"
    assert [model for model in DEFAULT_MODELS if pricing.model_price(model) is None] == []


def test_get_api_models_is_public_and_lists_capabilities_and_pricing(gateway):
    response = gateway.request("GET", "/api/models")  # no token

    assert response.status == 200 and response.body["message"] == "Retrieval successful"
    data = response.body["data"]
    assert data["currency"] == "USD" and data["prices_as_of"]
    by_name = {model["model_name"]: model for model in data["models"]}
    plus = by_name["qwen-plus"]
    assert plus["capabilities"]["thinking"] == "optional"
    assert plus["pricing"]["tiers"][0] == {
        "max_input_tokens": 262_144,
        "input": "0.4",
        "output": "1.2",
        "thinking_output": "4",
    }
    assert by_name["qwen-vl-max"]["capabilities"]["image"] is True
