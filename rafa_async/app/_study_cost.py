"""What a study would cost on a real provider, stated before it starts.

calls x tokens x price: each (part, column, seed) run may start at most its
LLM-call budget per episode (:class:`~rafa_async.app.CallBudget` enforces
it), so ``episodes x budget`` calls is a bound, not a guess; each call is
priced at the part's declared prompt and completion tokens and the model's
price (the provider config's, else the built-in table:
:func:`~rafa_async.adapters.providers.price_table`).  A model without a
price gets an unknown cost (``None``), never zero.
"""

from __future__ import annotations

import msgspec

from rafa_async.adapters.providers import price_table
from rafa_async.llm import ProviderSettings, Usage


class CostLine(msgspec.Struct, frozen=True, kw_only=True):
    """One part's share: its episodes, their bound on calls, and the tokens.
    ``bound`` is false for a part whose calls are only estimated (a
    learning protocol has no call budget: its calls per game as measured on
    the sim)."""

    row: str
    episodes: int
    max_calls: int
    prompt_tokens: int
    completion_tokens: int
    bound: bool = True


class CostEstimate(msgspec.Struct, frozen=True, kw_only=True):
    """The bound on a study's LLM calls and what they would cost."""

    provider: str
    model: str
    lines: list[CostLine]
    max_calls: int
    prompt_tokens: int
    completion_tokens: int
    max_usd: float | None
    """``None``: the model has no price (see :attr:`price_note`)."""
    price_note: str

    def summary(self) -> str:
        """One line: calls x tokens x price = dollars."""
        cost = "unknown" if self.max_usd is None else f"${self.max_usd:,.2f}"
        guessed = [line for line in self.lines if not line.bound]
        hedge = "at most" if not guessed else "about"
        why = (
            ""
            if not guessed
            else f"; {', '.join(line.row for line in guessed)}: estimated from the sim's calls "
            "per game, not bounded"
        )
        return (
            f"cost estimate for {self.provider}: {hedge} {self.max_calls:,} LLM calls "
            f"({self.prompt_tokens:,} prompt + {self.completion_tokens:,} completion tokens) "
            f"= {hedge} {cost} ({self.price_note}{why})"
        )


def estimate_cost(lines: list[CostLine], settings: ProviderSettings, provider: str) -> CostEstimate:
    """The estimate of ``lines`` on the model ``settings`` name."""
    prompt = sum(line.prompt_tokens for line in lines)
    completion = sum(line.completion_tokens for line in lines)
    table = price_table(settings)
    price = table.lookup(settings.model) if table is not None else None
    if table is None or price is None:
        usd, note = None, f"no price for model {settings.model}: set one in the provider config"
    else:
        usd = price.cost(Usage(prompt_tokens=prompt, completion_tokens=completion))
        note = (
            f"${price.input:g} in / ${price.output:g} out per 1M tokens, prices as of {table.as_of}"
        )
    return CostEstimate(
        provider=provider,
        model=settings.model,
        lines=lines,
        max_calls=sum(line.max_calls for line in lines),
        prompt_tokens=prompt,
        completion_tokens=completion,
        max_usd=usd,
        price_note=note,
    )
