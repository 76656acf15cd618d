"""The price table (`prices.json` beside this module, overridable per deployment with PRICE_TABLE)
and the exact cost of a call from the upstream's usage.

A model without a price costs 0: the call is still made and logged (cost "0.000000000"), a warning
is logged and the `UnpricedModelCall` metric emitted, so an operator sees it; spend limits cannot
hold back what they cannot price, so every configured model should have a price.
"""

import functools
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from aws_lambda_powertools import Logger

from bailian_chat.config import ConfigError, get_settings
from bailian_chat.usage import metrics, money

logger = Logger(child=True)
PRICES_FILE = Path(__file__).with_name("prices.json")
PER_TOKENS = Decimal(1_000_000)


@dataclass(frozen=True)
class Tier:
    max_input_tokens: int | None  # None: no upper bound
    input: Decimal  # per million tokens
    output: Decimal
    thinking_output: Decimal

    def public(self) -> dict:
        return {
            "max_input_tokens": self.max_input_tokens,
            "input": f"{self.input:f}",
            "output": f"{self.output:f}",
            "thinking_output": f"{self.thinking_output:f}",
        }


@dataclass(frozen=True)
class ModelPrice:
    model: str
    tiers: tuple[Tier, ...]

    def tier(self, prompt_tokens: int) -> Tier:
        for tier in self.tiers:
            if tier.max_input_tokens is None or prompt_tokens <= tier.max_input_tokens:
                return tier
        return self.tiers[-1]  # beyond the last bound (the upstream refuses such prompts anyway)


@functools.cache
def _declared() -> dict:
    return json.loads(PRICES_FILE.read_text(encoding="utf-8"))


def _price(value: object, where: str) -> Decimal:
    try:
        price = Decimal(str(value))
    except InvalidOperation as exc:
        raise ConfigError(f"{where} must be a decimal string, got {value!r}") from exc
    if not price.is_finite() or price < 0:
        raise ConfigError(f"{where} must be >= 0, got {value!r}")
    return price


def _model_price(model: str, entry: dict) -> ModelPrice:
    where = f"price table [{model!r}]"
    tiers = entry.get("tiers") if isinstance(entry, dict) else None
    if not isinstance(tiers, list) or not tiers or not all(isinstance(t, dict) for t in tiers):
        raise ConfigError(f"{where} needs a non-empty `tiers` list of objects")
    parsed = []
    for i, tier in enumerate(tiers):
        bound = tier.get("max_input_tokens")
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, int) or bound < 1):
            raise ConfigError(f"{where}.tiers[{i}].max_input_tokens must be a positive integer or null")
        output = _price(tier.get("output"), f"{where}.tiers[{i}].output")
        thinking = tier.get("thinking_output")
        parsed.append(
            Tier(
                max_input_tokens=bound,
                input=_price(tier.get("input"), f"{where}.tiers[{i}].input"),
                output=output,
                thinking_output=output if thinking is None else _price(thinking, f"{where}.tiers[{i}]"),
            )
        )
    bounds = [t.max_input_tokens for t in parsed]
    if None in bounds[:-1] or bounds[:-1] != sorted(bounds[:-1]):
        raise ConfigError(f"{where}: tiers must go up by max_input_tokens, only the last unbounded")
    return ModelPrice(model, tuple(parsed))


@functools.cache
def _table(overrides: str) -> tuple[str, dict[str, ModelPrice]]:
    declared = _declared()
    extra = json.loads(overrides) if overrides else {}
    currency = extra.pop("currency", None) or declared["currency"]
    entries = {**declared["models"], **extra}
    return currency, {model: _model_price(model, entry) for model, entry in entries.items()}


def _current() -> tuple[str, dict[str, ModelPrice]]:
    return _table(get_settings().price_table)


def currency() -> str:
    return _current()[0]


def model_price(model: str) -> ModelPrice | None:
    return _current()[1].get(model)


def public_pricing(model: str) -> dict | None:
    """What GET /api/models shows of a model's price (None: the table has no price for it)."""
    price = model_price(model)
    if price is None:
        return None
    return {
        "currency": currency(),
        "unit": "per_million_tokens",
        "tiers": [tier.public() for tier in price.tiers],
    }


def call_cost(
    model: str, prompt_tokens: int, completion_tokens: int, thinking: bool, *, warn: bool = True
) -> Decimal:
    """The exact cost of a call: prompt tokens at the input price and completion tokens at the
    output (or thinking-output) price of the tier its prompt falls in, quantized once."""
    price = model_price(model)
    if price is None:
        if warn and (prompt_tokens or completion_tokens):
            logger.warning("Model call without a price: cost 0", extra={"model": model})
            metrics.emit_unpriced_call(model)
        return money.ZERO
    tier = price.tier(prompt_tokens)
    output_price = tier.thinking_output if thinking else tier.output
    return money.quantize((prompt_tokens * tier.input + completion_tokens * output_price) / PER_TOKENS)


def table_source() -> dict:
    """Where the declared prices come from and as of when (a deployment's overrides aside)."""
    declared = _declared()
    return {"source": declared["source"], "as_of": declared["as_of"]}
