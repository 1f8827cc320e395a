"""The simulated LLM's knowledge of the Game of 24: an exact solver, corrupted.

Beliefs about whether a set of numbers can reach 24 are the sim's prior
(wrong for a persistent ``wrong_belief_rate`` share of states) unless the
memory in the prompt states a fact about them (the environment's feedback or
a reflection) and the request heeds it (``memory_adherence``, through
:meth:`~rafa_async.llm.SimContext.heeds`): then the sim believes the memory.
That is how learning from memory, RAFA's point, changes what the simulated
model does.  Memory shapes beliefs only: a proposal follows them with
probability ``proposal_quality``, like every other belief.

The sim answers only from what its prompt holds: a reflection names a dead
end only if the feedback it reflects on says so.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from types import MappingProxyType

from rafa_async import MalformedResponse, ProviderError
from rafa_async.llm import NoiseModel, SimContext

from .._garble import garbled
from ._arith import (
    TARGET,
    StepOption,
    fmt,
    key_of,
    legal_steps,
    parse_numbers,
    solvable,
    solve,
    strip_outer_parens,
)
from ._parsers import memory_facts, parse_step

_CHATTER = (
    "Let me think about this step by step. There are several ways to combine these numbers",
    "I'm not sure which operation works best here, so let me consider the options",
    "Sure! Here is my answer",
)


class Game24Oracle:
    """Answers ``propose``, ``evaluate``, ``solve`` and ``reflect`` intents."""

    scenario = "game24"
    # Calibrated on the baselines (benchmarks/calibrate_sim.py).
    default_noise = NoiseModel()

    def respond(self, ctx: SimContext) -> str:
        kind = ctx.intent.kind
        if kind == "propose":
            return self._propose(ctx)
        if kind == "evaluate":
            return self._evaluate(ctx)
        if kind == "solve":
            return self._solve(ctx)
        if kind == "reflect":
            return self._reflect(ctx)
        raise ProviderError(f"sim: game24 does not answer {kind!r} intents", status=400)

    def garble(self, text: str, rng: random.Random) -> str:
        return garbled(text, rng, _CHATTER)

    # -- beliefs ---------------------------------------------------------------

    @staticmethod
    def _believes_reachable(
        ctx: SimContext, key: str, size: int, truth: bool, facts: Mapping[str, bool]
    ) -> bool:
        if key in facts:
            return facts[key]
        if size == 1:
            return truth
        return ctx.prior_belief(f"reach24:{key}", truth)

    def _choose(
        self, ctx: SimContext, values: tuple[Fraction, ...], facts: Mapping[str, bool]
    ) -> StepOption:
        state = key_of(values)
        options = _options(state)
        pool: Sequence[_Option] = options
        if ctx.chance(ctx.noise.proposal_quality):
            believed = [
                o
                for o in options
                if self._believes_reachable(ctx, o.left_key, len(o.step.left), o.reachable, facts)
            ]
            pool = believed or options
        weights = [ctx.preference(f"{state}|{o.step.text}") for o in pool]
        return ctx.rng.choices(pool, weights)[0].step

    def _written(
        self, ctx: SimContext, step: StepOption
    ) -> tuple[str, Fraction, tuple[Fraction, ...]]:
        """The step as the model writes it, possibly miscalculated: text, result, left."""
        result = step.result
        if ctx.chance(ctx.noise.arithmetic_error_rate):
            result += ctx.rng.choice((-2, -1, 1, 2))
        left = list(step.left)
        left.remove(step.result)
        left.append(result)
        left_values = tuple(sorted(left))
        text = (
            f"{fmt(step.a)} {step.op} {fmt(step.b)} = {fmt(result)} (left: {key_of(left_values)})"
        )
        return text, result, left_values

    # -- intents ---------------------------------------------------------------

    def _propose(self, ctx: SimContext) -> str:
        values = parse_numbers(ctx.intent.state)
        if len(values) < 2:
            return "There is nothing left to combine."
        facts = _heeded_facts(ctx)
        text, _, _ = self._written(ctx, self._choose(ctx, values, facts))
        return text

    def _evaluate(self, ctx: SimContext) -> str:
        values = parse_numbers(ctx.intent.state)
        facts = _heeded_facts(ctx)
        # The model's belief (persistent, no draw from ctx.rng), and the
        # probability its answer channel puts on a favourable verdict (sure or
        # likely): its "logprobs", reported as the response's confidence.
        believed = self._believes_reachable(
            ctx, key_of(values), len(values), solvable(values), facts
        )
        noise = ctx.noise.value_noise
        ctx.confidence = (1.0 - noise) * believed + noise * 2 / 3
        if ctx.chance(noise):
            verdict = ctx.rng.choice(("sure", "likely", "impossible"))
        else:
            verdict = "sure" if believed else "impossible"
        state = ctx.intent.state
        if len(values) == 1:
            reason = f"{state} {'=' if values[0] == TARGET else '!='} 24"
        elif verdict == "sure" and (expr := _solution(ctx.intent.state)) is not None:
            reason = f"{expr} = 24"
        elif verdict == "impossible":
            reason = f"I cannot obtain 24 from {state}; the numbers do not combine to 24"
        else:
            reason = f"Trying combinations of {state}, it may be possible to get 24"
        return f"{reason}\n{verdict}"

    def _solve(self, ctx: SimContext) -> str:
        values = parse_numbers(ctx.intent.state)
        facts = _heeded_facts(ctx)
        items = [(v, fmt(v)) for v in values]
        lines = []
        current = values
        while len(current) > 1:
            step = self._choose(ctx, current, facts)
            text, result, current = self._written(ctx, step)
            lines.append(text)
            ea = _take(items, step.a)
            eb = _take(items, step.b)
            items.append((result, f"({ea} {step.op} {eb})"))
        return "\n".join(lines) + f"\nAnswer: {strip_outer_parens(items[0][1])} = 24"

    def _reflect(self, ctx: SimContext) -> str:
        """A lesson from the feedback in the prompt (the intent's memory).

        It names a dead end only if that feedback states one (``"<numbers>
        cannot reach 24"``, e.g. a step's verdict) and the request heeds it,
        and then only at ``reflection_quality``; the attempt is never solved
        or checked here, so nothing the feedback does not say gets in.
        """
        facts = _heeded_facts(ctx)
        dead = [key for key, reachable in facts.items() if not reachable]
        if dead and ctx.chance(ctx.noise.reflection_quality):
            key = dead[0]
            step = _step_leaving(ctx.intent.memory, key)
            made = f"my step {step} left {key}" if step else f"I was left with {key}"
            return (
                f"Reflection: {made}, and {key} cannot reach 24, so that was a dead end. "
                "Next time I will avoid it and try another combination first."
            )
        return (
            "Reflection: my answer did not equal 24. I should check each step more carefully "
            "and consider a different order of operations next time."
        )


@dataclass(frozen=True, slots=True)
class _Option:
    step: StepOption
    left_key: str
    reachable: bool


# The oracle is asked about the same few thousand states over and over; what
# it knows about each is computed once.
@lru_cache(maxsize=1 << 16)
def _options(state: str) -> tuple[_Option, ...]:
    return tuple(
        _Option(step, step.left_key, solvable(step.left))
        for step in legal_steps(parse_numbers(state))
    )


@lru_cache(maxsize=1 << 14)
def _facts(memory: tuple[str, ...]) -> Mapping[str, bool]:
    return MappingProxyType(memory_facts(memory))


def _heeded_facts(ctx: SimContext) -> Mapping[str, bool]:
    """What the prompt's memory states about states, as far as this request heeds it."""
    return ctx.heeded(_facts(ctx.intent.memory))


def _step_leaving(lines: tuple[str, ...], key: str) -> str | None:
    """The step a feedback line says left ``key`` (``a op b = c (left: key): ...``)."""
    for line in lines:
        for row in line.splitlines():
            try:
                step = parse_step(row)
            except MalformedResponse:
                continue
            if step.left is not None and _same_numbers(step.left, key):
                return step.text
    return None


def _same_numbers(left: tuple[str, ...], key: str) -> bool:
    try:
        return key_of(parse_numbers(" ".join(left))) == key
    except ValueError:
        return False


@lru_cache(maxsize=1 << 14)
def _solution(state: str) -> str | None:
    return solve(parse_numbers(state))


def _take(items: list[tuple[Fraction, str]], value: Fraction) -> str:
    for k, (v, e) in enumerate(items):
        if v == value:
            del items[k]
            return e
    raise AssertionError(f"{value} not in {items}")  # pragma: no cover
