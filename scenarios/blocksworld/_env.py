"""The BlocksWorld environment: the STRIPS rules, every action checked and explained."""

from __future__ import annotations

import re

from rafa_async import Outcome

from .._attempts import check_lines
from ._instances import Instance
from ._language import LanguageError, parse_action, render_action, render_facts, render_negated
from ._state import BlocksState
from ._strips import GroundAction

EXAMPLE = "unstack the blue block from on top of the orange block"


def action_lines(text: str) -> list[str]:
    """The lines of ``text`` that are actions, stripped of numbering and
    bullets (``1.``, ``-``, ``Step 2:``); prose between them is not part of a plan."""
    found = []
    for line in text.splitlines():
        cleaned = _strip_marker(line)
        try:
            parse_action(cleaned)
        except LanguageError:
            continue
        found.append(cleaned)
    return found


_MARKER_RE = re.compile(r"^\s*(?:[-*•>]+\s*|\d+[.)]\s*|(?:step|action)\s*\d*\s*[:.]\s*)*", re.I)


def _strip_marker(line: str) -> str:
    return _MARKER_RE.sub("", line).strip()


class BlocksWorldEnv:
    """One instance.  The feedback on an action is the true next state, or
    the refusal and its reason: the precondition that does not hold, in words.

    An action may be written in words or in PDDL.  A text of several action
    lines (a whole plan) is one interaction, checked line by line as Game of
    24's attempts are: each line gets its own verdict, the check stops at the
    first refused line or at the goal, and the state keeps the actions before
    it.  Reaching the goal ends the episode with reward 1.
    """

    name = "blocksworld"

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.rules = instance.rules

    def reset(self) -> BlocksState:
        task = self.instance
        return BlocksState(task.init, task.goal, task.max_steps)

    def render(self, state: BlocksState) -> str:
        return state.key

    def answer(self, state: BlocksState) -> str | None:
        """The actions executed from the start (PDDL, one a line), solved or
        not; ``None`` before the first.  (After a restart: the last trial's.)"""
        return "\n".join(state.actions) if state.actions else None

    def step(self, state: BlocksState, action: str) -> Outcome[BlocksState]:
        lines = action_lines(action)
        if not lines:
            shown = action.strip()[:80] or "(empty)"
            return Outcome(state, False, f"{shown!r}: refused; not an action (e.g. '{EXAMPLE}').")
        return check_lines(state, lines, self._one)

    def _one(self, state: BlocksState, text: str) -> Outcome[BlocksState]:
        action = parse_action(text)
        words = render_action(action)
        missing = [b for b in action.args if b not in self.rules.objects]
        if missing:
            return Outcome(state, False, f"{words}: refused; there is no {missing[0]} block here.")
        failed = self.rules.failed_preconditions(state.facts, action)
        if failed:
            reasons = " and ".join(render_negated(f) for f in failed)
            return Outcome(state, False, f"{words}: refused; {reasons}.")
        return self._apply(state, action, words)

    def _apply(self, state: BlocksState, action: GroundAction, words: str) -> Outcome[BlocksState]:
        facts = self.rules.apply(state.facts, action)
        nxt = BlocksState(facts, state.goal, state.horizon, (*state.actions, action.pddl))
        if nxt.reached:
            return Outcome(nxt, True, f"{words}: done; the goal is reached.", reward=1.0, done=True)
        return Outcome(nxt, True, f"{words}: done; now {render_facts(facts, ' and ')}.")
