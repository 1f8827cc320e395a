"""The BlocksWorld state an episode and a plan move through, and its text."""

from __future__ import annotations

from dataclasses import dataclass

from ._language import LanguageError, parse_facts, render_facts
from ._strips import Facts

_GOAL = " My goal is to have that "


@dataclass(frozen=True, slots=True)
class BlocksState:
    """The facts that hold, the goal, and the actions taken to get here.

    ``horizon`` is the episode's interaction cap: a plan never looks further
    than ``horizon`` actions from the start (the paper's search depth), which
    also keeps a search that never reaches the goal finite.  The text
    (:attr:`key`) holds only the facts and the goal: what a prompt shows.
    """

    facts: Facts
    goal: Facts
    horizon: int
    actions: tuple[str, ...] = ()
    """The actions taken so far, in PDDL (``(unstack blue orange)``)."""

    @property
    def key(self) -> str:
        return state_text(self.facts, self.goal)

    @property
    def reached(self) -> bool:
        return self.goal <= self.facts

    @property
    def out_of_steps(self) -> bool:
        return len(self.actions) >= self.horizon


def state_text(facts: Facts, goal: Facts) -> str:
    """``I have that, <facts>. My goal is to have that <goal>.``: the paper's
    statement of a problem, and the sim's whole view of a state."""
    return f"I have that, {render_facts(facts, ' and ')}.{_GOAL}{render_facts(goal, ' and ')}."


def parse_state_text(text: str) -> tuple[Facts, Facts]:
    """The facts and the goal of a :func:`state_text`; :class:`LanguageError` otherwise."""
    head, sep, goal = text.partition(_GOAL)
    if not sep:
        raise LanguageError("expected '... My goal is to have that ...'")
    return parse_facts(head.strip().removeprefix("I have that,")), parse_facts(goal)
