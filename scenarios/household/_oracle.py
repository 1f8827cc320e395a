"""The simulated LLM's knowledge of the household: the exact planner, corrupted.

The sim reads the room and the task from the prompt's state text and plans
exactly (:func:`~._planner.plan`) -- for the goal it *believes in*.  Its
prior forgets each requirement of a task (that the apple must be clean, that
two are needed, that the lamp must be on) for a persistent
``wrong_belief_rate`` share of tasks, until the prompt's memory states the
requirement (the environment's ``The task is not done: ...``, or a
reflection repeating it) and the request heeds it
(:meth:`~rafa_async.llm.SimContext.heeds`): then it plans for the whole
goal.  That is how memory changes what the simulated model does here.

A proposal is a first command of a shortest plan with probability
``proposal_quality``, else any command that changes something here, weighed
by the model's persistent preferences; ``arithmetic_error_rate`` is the share
of commands written with a wrong object or receptacle number.  Judged
distances are wrong (by three commands) for a persistent
``wrong_belief_rate`` share of states, and random at ``value_noise``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from rafa_async import ProviderError
from rafa_async.llm import NoiseModel, SimContext

from .._garble import garbled
from .._noise import provisional_noise
from ._commands import Command
from ._parsers import memory_facts
from ._planner import distance
from ._rules import admissible, apply
from ._state import Goal, HouseState, Need, parse_state, satisfied

_CHATTER = (
    "Let me think about where the object could be and what I need to do with it",
    "I'm not sure which receptacle to check first, so let me consider the room",
    "Sure! Here is what I would do",
)
MISJUDGED_BY = 3
"""How far off a wrong belief about the commands left is."""
MAX_ATTEMPT = 20
"""The most commands the sim writes in one attempt."""


class HouseholdOracle:
    """Answers ``propose``, ``evaluate``, ``solve`` and ``reflect`` intents."""

    scenario = "household"
    # Uncalibrated: no baseline of this environment to fit (see _noise.py).
    default_noise: NoiseModel = provisional_noise()

    def respond(self, ctx: SimContext) -> str:
        kind = ctx.intent.kind
        if kind not in ("propose", "evaluate", "solve", "reflect"):
            raise ProviderError(f"sim: household does not answer {kind!r} intents", status=400)
        if kind == "reflect":
            return self._reflect(ctx)
        state = _state(ctx.intent.state)
        goal = _believed_goal(ctx, state.goal)
        if kind == "propose":
            return f"Action: {self._written(ctx, self._choose(ctx, state, goal))}"
        if kind == "evaluate":
            return f"Steps left: {self._steps_left(ctx, state, goal)}"
        return self._solve(ctx, state, goal)

    def garble(self, text: str, rng: random.Random) -> str:
        return garbled(text, rng, _CHATTER)

    def _choose(self, ctx: SimContext, state: HouseState, goal: Goal) -> Command:
        options = list(admissible(state))
        pool = options
        left = _distance(state, goal)
        if left and ctx.chance(ctx.noise.proposal_quality):
            pool = [
                c for c in options if _distance(apply(state, c)[0], goal) == left - 1
            ] or options
        here = state.text
        weights = [ctx.preference(f"{here}|{c.text}") for c in pool]
        return ctx.rng.choices(pool, weights)[0]

    @staticmethod
    def _written(ctx: SimContext, command: Command) -> str:
        """The command as the model writes it: now and then with a wrong number."""
        if not ctx.chance(ctx.noise.arithmetic_error_rate):
            return command.text
        return re.sub(r"\d+", lambda m: str(int(m.group(0)) + 1), command.text, count=1)

    @staticmethod
    def _steps_left(ctx: SimContext, state: HouseState, goal: Goal) -> int:
        if ctx.chance(ctx.noise.value_noise):
            return ctx.rng.randint(0, 10)
        left = _distance(state, goal)
        if not ctx.prior_belief(f"steps:{state.text}", True):
            left = left + MISJUDGED_BY if left <= MISJUDGED_BY else left - MISJUDGED_BY
        return left

    def _solve(self, ctx: SimContext, state: HouseState, goal: Goal) -> str:
        lines: list[str] = []
        while len(lines) < MAX_ATTEMPT and not satisfied(state, goal):
            command = self._choose(ctx, state, goal)
            lines.append(f"> {self._written(ctx, command)}")
            state, _ = apply(state, command)
        return "\n".join(lines) if lines else "> look"

    @staticmethod
    def _reflect(ctx: SimContext) -> str:
        """A lesson from the feedback in the prompt: it names a requirement only
        if that feedback states it and the request heeds it, and then only at
        ``reflection_quality``."""
        goal = _state(ctx.intent.state).goal
        stated = ctx.heeded(_facts(ctx.intent.memory))
        needs = [need for need in sorted(goal.needs) if need in stated]
        if needs and ctx.chance(ctx.noise.reflection_quality):
            said = "; ".join(goal.requirement(n) for n in needs)
            return (
                f"Reflection: I did only part of the task: {said}. Next time I will make sure "
                "of that before I finish."
            )
        return (
            "Reflection: my commands did not complete the task. I should plan the whole task "
            "first and check each command's result more carefully next time."
        )


def _state(text: str) -> HouseState:
    try:
        return _parsed(text)
    except ValueError as error:
        raise ProviderError(f"sim: household cannot read the state: {error}", status=400) from None


@lru_cache(maxsize=1 << 12)
def _parsed(text: str) -> HouseState:
    return parse_state(text)


def _believed_goal(ctx: SimContext, goal: Goal) -> Goal:
    """The goal as the model believes it: each requirement the heeded memory
    does not state is forgotten for a persistent share of tasks."""
    stated = ctx.heeded(_facts(ctx.intent.memory))
    forgotten: set[Need] = {
        need
        for need in goal.needs
        if need not in stated and not ctx.prior_belief(f"needs:{goal.text}:{need}", True)
    }
    return goal.without(frozenset(forgotten))


@lru_cache(maxsize=1 << 12)
def _facts(memory: tuple[str, ...]) -> Mapping[str, bool]:
    return MappingProxyType(memory_facts(memory))


def _distance(state: HouseState, goal: Goal) -> int:
    left = distance(state, goal)
    assert left is not None, "every household state can reach its goal"
    return left
