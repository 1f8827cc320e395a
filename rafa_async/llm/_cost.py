"""What LLM calls cost: a price table per model, overridable from a file."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import msgspec

from rafa_async._errors import ConfigError
from rafa_async.llm._types import Usage

# A provider's dated snapshot of a model ("gpt-4o-mini-2024-07-18",
# "claude-3-5-haiku-20241022", "...-latest") is priced as the model.
_SNAPSHOT = re.compile(r"-(latest|\d{4}-?\d{2}-?\d{2})$")


class ModelPrice(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """USD per million tokens.  ``cached_input`` prices the prompt tokens the
    provider served from its prompt cache (``Usage.cached_prompt_tokens``);
    when absent they cost ``input``."""

    input: float
    output: float
    cached_input: float | None = None

    def __post_init__(self) -> None:
        for name in ("input", "output", "cached_input"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise ValueError(f"price {name} must be >= 0 USD per 1M tokens, got {value}")

    def cost(self, usage: Usage) -> float:
        cached = min(usage.cached_prompt_tokens, usage.prompt_tokens)
        cached_price = self.input if self.cached_input is None else self.cached_input
        return (
            (usage.prompt_tokens - cached) * self.input
            + cached * cached_price
            + usage.completion_tokens * self.output
        ) / 1e6


class PriceTable(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Prices by model name, checked on ``as_of`` (a date) against ``source``.

    A model is found by its exact name, or as a dated snapshot of a listed
    name (``gpt-4o-mini-2024-07-18`` is priced as ``gpt-4o-mini``).  Prices
    change: override them with :meth:`load` and :meth:`merged`.
    """

    as_of: str
    models: dict[str, ModelPrice] = msgspec.field(default_factory=dict)
    source: str = ""

    def lookup(self, model: str) -> ModelPrice | None:
        price = self.models.get(model)
        if price is None:
            base = _SNAPSHOT.sub("", model)
            if base != model:
                price = self.models.get(base)
        return price

    def cost(self, model: str, usage: Usage) -> float | None:
        """USD for ``usage`` on ``model``; ``None`` if the model is not listed."""
        price = self.lookup(model)
        return None if price is None else price.cost(usage)

    def merged(self, other: PriceTable) -> PriceTable:
        """This table with ``other``'s models added or replaced (and its date)."""
        return PriceTable(
            as_of=other.as_of,
            models={**self.models, **other.models},
            source=other.source or self.source,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PriceTable:
        """A table from a TOML (``*.toml``) or JSON file::

        as_of = "2025-07-01"
        [models."gpt-4o-mini"]
        input = 0.15
        output = 0.60
        cached_input = 0.075
        """
        file = Path(path)
        try:
            data = file.read_bytes()
            if file.suffix == ".toml":
                return msgspec.toml.decode(data, type=cls)
            return msgspec.json.decode(data, type=cls)
        except (OSError, msgspec.DecodeError) as error:
            raise ConfigError(f"price table {file}: {error}") from error


def _price(input: float, output: float, cached_input: float | None = None) -> ModelPrice:
    return ModelPrice(input=input, output=output, cached_input=cached_input)


DEFAULT_PRICES = PriceTable(
    as_of="2025-06-01",
    source="the providers' published API price pages (standard tier, no batch discount)",
    models={
        "gpt-4o": _price(2.50, 10.00, 1.25),
        "gpt-4o-mini": _price(0.15, 0.60, 0.075),
        "gpt-4.1": _price(2.00, 8.00, 0.50),
        "gpt-4.1-mini": _price(0.40, 1.60, 0.10),
        "gpt-4.1-nano": _price(0.10, 0.40, 0.025),
        "o3-mini": _price(1.10, 4.40, 0.55),
        "gpt-4": _price(30.00, 60.00),
        "claude-opus-4": _price(15.00, 75.00, 1.50),
        "claude-sonnet-4": _price(3.00, 15.00, 0.30),
        "claude-3-5-haiku": _price(0.80, 4.00, 0.08),
    },
)
"""A few well-known models, as of the date it names: check before relying on it."""


def total_cost(costs: Iterable[float | None]) -> float | None:
    """The sum of ``costs``, or ``None`` (unknown) if any of them is.

    A run's cost is unknown as soon as one call's is (a model missing from
    the price table): a partial sum would understate it.
    """
    total = 0.0
    for cost in costs:
        if cost is None:
            return None
        total += cost
    return total
