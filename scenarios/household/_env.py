"""The household environment: commands in, ALFWorld-style observations out,
every refusal explained."""

from __future__ import annotations

from dataclasses import replace

from rafa_async import Outcome

from .._attempts import check_lines
from ._commands import Command, parse_command
from ._rules import Refusal, apply
from ._state import HouseState, satisfied, unmet

DEFAULT_MAX_STEPS = 30
"""Environment interactions per task (ALFWorld allows 50 in rooms much bigger
than these; a shipped task needs at most 10 commands)."""


def attempt_lines(text: str) -> tuple[str, ...]:
    """The commands of a written attempt, in order: every line that reads as a
    command (prose between them is not part of the attempt)."""
    lines = []
    for line in text.splitlines():
        try:
            lines.append(parse_command(line).text)
        except ValueError:
            continue
    return tuple(lines)


class HouseholdEnv:
    """One task.  An action is a command (``take apple 1 from countertop 1``)
    or a whole attempt: several command lines, checked one by one like Game
    of 24's (each gets its observation; the check stops at the first refused
    command, or once the task is done), one interaction however many lines.

    A command that cannot be done is *refused* (state unchanged) with
    ALFWorld's ``Nothing happens`` and the reason.  After a command that does
    part of the task but leaves a requirement unmet (the apple is in the fridge
    but not clean), the observation says which (``The task is not done: the
    apple must be clean.``): what the environment's verdict on the goal states.
    """

    name = "household"

    def __init__(self, start: HouseState) -> None:
        self.start = start

    def reset(self) -> HouseState:
        return self.start

    def render(self, state: HouseState) -> str:
        return state.text

    def answer(self, state: HouseState) -> str | None:
        return state.goal.text if satisfied(state, state.goal) else None

    def step(self, state: HouseState, action: str) -> Outcome[HouseState]:
        lines = attempt_lines(action)
        if len(lines) <= 1:
            return self._line(state, lines[0] if lines else action)
        outcome = check_lines(state, lines, self._line)
        if outcome.accepted and not outcome.done:
            feedback = f"{outcome.feedback}\nAfter these commands the task is not done."
            return replace(outcome, feedback=feedback)
        return outcome

    def _line(self, state: HouseState, action: str) -> Outcome[HouseState]:
        try:
            command: Command = parse_command(action)
        except ValueError as error:
            return Outcome(state, False, f"Nothing happens; {error}.")
        try:
            nxt, seen = apply(state, command)
        except Refusal as error:
            return Outcome(state, False, f"{command.text}: Nothing happens; {error}.")
        goal = state.goal
        if satisfied(nxt, goal):
            return Outcome(
                nxt, True, f"{command.text}: {seen} Task done: {goal.text}.", reward=1.0, done=True
            )
        missing = [goal.requirement(need) for need in unmet(nxt, goal)] if nxt != state else []
        if missing:
            seen += f" The task is not done: {'; '.join(missing)}."
        return Outcome(nxt, True, f"{command.text}: {seen}")
