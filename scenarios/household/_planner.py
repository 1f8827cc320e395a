"""The exact planner: a shortest command sequence to a goal, by breadth-first search.

It is the simulated LLM's knowledge of the household (its oracle) and the
proof that every shipped task is solvable.  The search only tries the
commands a shortest plan can contain, which keeps it small and changes no
plan's length: a shortest plan never closes anything, never takes an object
of another type than the goal's (hands hold one thing; nothing blocks a
receptacle), never puts the goal's object anywhere but a goal receptacle
(there is no need to set it down elsewhere), never visits a receptacle that
holds nothing it needs, and never examines or looks (those change nothing) --
except that an object of another type already in hand (a noisy agent took
it) must first be set down, where the search then may go and put anything.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from functools import lru_cache

from ._commands import Command
from ._rules import Refusal, admissible, apply
from ._state import APPLIANCE, MARKS, Goal, HouseState, kind_of, satisfied


def _relevant(state: HouseState, goal: Goal) -> frozenset[str]:
    """The receptacles a shortest plan for ``goal`` may visit from ``state``."""
    wanted = {t.place for t in state.things if t.kind == goal.obj}
    wanted |= {r for r in state.receptacles if kind_of(r) == goal.recep}
    wanted |= {
        r
        for r in state.receptacles
        if kind_of(r) in {APPLIANCE[m] for m in goal.needs & set(MARKS)}
    }
    if "light" in goal.needs:
        wanted.add(state.lamp)
    return frozenset(wanted)


def _useful(state: HouseState, goal: Goal, relevant: frozenset[str]) -> Iterator[Command]:
    held = state.holding
    # An object of another type in hand must be set down first, anywhere.
    stray = held is not None and held.kind != goal.obj
    for command in admissible(state):
        verb, first, second = command.verb, command.first, command.second
        if verb == "close":
            continue
        if verb == "go" and first not in relevant and not stray:
            continue
        if verb == "take" and kind_of(first) != goal.obj:
            continue
        if verb == "put" and kind_of(second) != goal.recep and not stray:
            continue
        if verb in ("clean", "heat", "cool"):
            mark = {"clean": "clean", "heat": "hot", "cool": "cool"}[verb]
            if (
                held is None
                or held.kind != goal.obj
                or mark not in goal.needs
                or mark in held.marks
            ):
                continue
        if verb == "use" and "light" not in goal.needs:
            continue
        yield command


@lru_cache(maxsize=1 << 15)
def plan(state: HouseState, goal: Goal | None = None) -> tuple[str, ...] | None:
    """A shortest list of commands from ``state`` to ``goal`` (default: the
    state's own), or ``None`` if no command sequence reaches it."""
    goal = state.goal if goal is None else goal
    if satisfied(state, goal):
        return ()
    relevant = _relevant(state, goal)
    parents: dict[HouseState, tuple[HouseState, str] | None] = {state: None}
    frontier = deque([state])
    while frontier:
        current = frontier.popleft()
        for command in _useful(current, goal, relevant):
            try:
                nxt, _ = apply(current, command)
            except Refusal:  # pragma: no cover - admissible commands apply
                continue
            if nxt in parents:
                continue
            parents[nxt] = (current, command.text)
            if satisfied(nxt, goal):
                return _path(parents, nxt)
            frontier.append(nxt)
    return None


def _path(
    parents: dict[HouseState, tuple[HouseState, str] | None], end: HouseState
) -> tuple[str, ...]:
    steps: list[str] = []
    link = parents[end]
    while link is not None:
        previous, command = link
        steps.append(command)
        link = parents[previous]
    return tuple(reversed(steps))


def distance(state: HouseState, goal: Goal | None = None) -> int | None:
    """Commands left to ``goal`` on a shortest plan (``None``: unreachable)."""
    found = plan(state, goal)
    return None if found is None else len(found)
