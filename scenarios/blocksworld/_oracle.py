"""The simulated LLM's knowledge of BlocksWorld: the exact planner, corrupted.

The sim reads the state and goal from the prompt's statement (the intent's
state text) and knows the rules.  Its beliefs, persistent per seed like Game
of 24's:

- whether an action is possible in a state: the truth, wrong for a
  ``wrong_belief_rate`` share of (state, action) pairs -- so it sometimes
  proposes an action the environment refuses;
- whether an action begins an optimal plan: likewise.

A proposal follows the believed-optimal actions with probability
``proposal_quality``, else any action believed possible (weighted by the
model's persistent preferences).  Memory corrects the first belief: an action
the prompt's memory says was refused, for a reason that still holds in the
prompt's state, is believed impossible (if the request heeds that line:
``memory_adherence``).  A predicted next state is wrong with probability
``arithmetic_error_rate`` (one fact missed); an evaluation is the believed
number of actions still needed, replaced by a random one with probability
``value_noise``.  It answers only from what the prompt holds.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from rafa_async import ProviderError
from rafa_async.llm import SimContext

from .._noise import provisional_noise
from ._instances import rules
from ._language import LanguageError, parse_action, render_action, render_facts, render_negated
from ._parsers import refusals
from ._pddl import Atom
from ._solver import distance, optimal_actions
from ._state import parse_state_text
from ._strips import Facts, GroundAction, Strips
from ._world import blocks_of

MAX_PLAN = 12
"""The longest plan the sim writes in one answer (twice the longest gold plan)."""

_CHATTER = (
    "Let me think about which block to move first",
    "I am not sure which action is best here, so let me consider the options",
    "Sure! Here is my answer",
)


class BlocksWorldOracle:
    """Answers ``propose``, ``predict``, ``evaluate``, ``solve`` and ``reflect`` intents."""

    scenario = "blocksworld"
    # No published baseline has been fitted yet: the provisional knobs.
    default_noise = provisional_noise()

    def respond(self, ctx: SimContext) -> str:
        kind = ctx.intent.kind
        answer = {
            "propose": self._propose,
            "predict": self._predict,
            "evaluate": self._evaluate,
            "solve": self._solve,
            "reflect": self._reflect,
        }.get(kind)
        if answer is None:
            raise ProviderError(f"sim: blocksworld does not answer {kind!r} intents", status=400)
        return answer(ctx)

    def garble(self, text: str, rng: random.Random) -> str:
        choice = rng.randrange(3)
        if choice == 0:
            return rng.choice(_CHATTER) + "..."
        if choice == 1:
            return text[: max(1, len(text) // 4)]
        return " ".join(w for w in text.split() if w not in ("block", "the")).replace(":", "")

    # -- beliefs ---------------------------------------------------------------

    def _believed_possible(
        self,
        ctx: SimContext,
        rules: Strips,
        facts: Facts,
        key: str,
        action: GroundAction,
        refused: Mapping[str, tuple[Atom, ...]],
    ) -> bool:
        reasons = refused.get(action.pddl)
        if reasons and any(r not in facts for r in reasons):
            return False
        truth = not rules.failed_preconditions(facts, action)
        return ctx.prior_belief(f"bw-possible:{key}|{action.pddl}", truth)

    def _choose(
        self, ctx: SimContext, facts: Facts, goal: Facts, refused: Mapping[str, tuple[Atom, ...]]
    ) -> GroundAction:
        bw = rules(blocks_of(facts))
        key = render_facts(facts)
        possible = [
            a for a in bw.all_actions() if self._believed_possible(ctx, bw, facts, key, a, refused)
        ]
        pool = possible or list(bw.all_actions())
        if ctx.chance(ctx.noise.proposal_quality):
            best = set(optimal_actions(bw, facts, goal))
            believed = [
                a for a in pool if ctx.prior_belief(f"bw-optimal:{key}|{a.pddl}", a in best)
            ]
            pool = believed or pool
        weights = [ctx.preference(f"bw:{key}|{a.pddl}") for a in pool]
        return ctx.rng.choices(pool, weights)[0]

    def _next(self, ctx: SimContext, facts: Facts, action: GroundAction) -> Facts:
        """The state the model expects ``action`` to lead to (one fact missed
        at ``arithmetic_error_rate``)."""
        after = rules(blocks_of(facts)).apply(facts, action, check=False)
        if after and ctx.chance(ctx.noise.arithmetic_error_rate):
            missed = ctx.rng.choice(sorted(after))
            after = after - {missed}
        return after

    # -- intents ---------------------------------------------------------------

    def _propose(self, ctx: SimContext) -> str:
        facts, goal = _statement(ctx)
        if goal <= facts:
            return "The goal already holds; there is nothing left to do."
        action = self._choose(ctx, facts, goal, _heeded_refusals(ctx))
        after = self._next(ctx, facts, action)
        return f"Action: {render_action(action)}\nNew state: {render_facts(after)}"

    def _predict(self, ctx: SimContext) -> str:
        facts, _ = _statement(ctx)
        try:
            action = parse_action(ctx.intent.detail)
        except LanguageError:
            return "I cannot tell what that action is."
        return f"New state: {render_facts(self._next(ctx, facts, action))}"

    def _evaluate(self, ctx: SimContext) -> str:
        facts, goal = _statement(ctx)
        bw = rules(blocks_of(facts))
        true = 0 if goal <= facts else distance(bw, facts, goal)
        believed = MAX_PLAN if true is None else true
        if believed and not ctx.prior_belief(f"bw-distance:{render_facts(facts)}", True):
            believed = max(1, believed + ctx.rng.choice((-2, 2)))
        noise = ctx.noise.value_noise
        if ctx.chance(noise):
            believed = ctx.rng.randrange(0, 7)
        value = 1.0 / (1.0 + believed)
        ctx.confidence = (1.0 - noise) * value + noise * 0.5
        held = len(goal & facts)
        return (
            f"{held} of the {len(goal)} goal conditions hold; about {believed} more "
            f"action(s) are needed.\nValue: {value:.3f}"
        )

    def _solve(self, ctx: SimContext) -> str:
        facts, goal = _statement(ctx)
        refused = _heeded_refusals(ctx)
        lines: list[str] = []
        while not goal <= facts and len(lines) < MAX_PLAN:
            action = self._choose(ctx, facts, goal, refused)
            lines.append(render_action(action))
            facts = self._next(ctx, facts, action)
        return "[PLAN]\n" + "\n".join(lines) + "\n[PLAN END]"

    def _reflect(self, ctx: SimContext) -> str:
        """A lesson from the feedback in the prompt: it names a refused action
        and why only if that feedback does (and at ``reflection_quality``)."""
        refused = _heeded_refusals(ctx)
        if refused and ctx.chance(ctx.noise.reflection_quality):
            pddl, reasons = next(iter(refused.items()))
            action = parse_action(pddl)
            why = " and ".join(render_negated(r) for r in reasons)
            return (
                f"Reflection: {render_action(action)}: refused; {why}. "
                "Next time I will check that before acting."
            )
        return (
            "Reflection: my plan did not reach the goal. I should check each action against "
            "the state more carefully next time."
        )


def _statement(ctx: SimContext) -> tuple[Facts, Facts]:
    try:
        return parse_state_text(ctx.intent.state)
    except LanguageError as error:
        raise ProviderError(
            f"sim: blocksworld cannot read the state: {error}", status=400
        ) from None


@lru_cache(maxsize=1 << 14)
def _refusals(memory: tuple[str, ...]) -> Mapping[str, tuple[Atom, ...]]:
    return MappingProxyType(refusals(memory))


def _heeded_refusals(ctx: SimContext) -> Mapping[str, tuple[Atom, ...]]:
    """The refusals the prompt's memory states, as far as this request heeds them."""
    return ctx.heeded(_refusals(ctx.intent.memory))
