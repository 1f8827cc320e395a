"""Reading a model's household answers: a command, a number of steps left, a
whole attempt, a reflection; and what memory lines say the task requires."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rafa_async import MalformedResponse

from .._answers import label_re, read_answer
from ._commands import Command, parse_command
from ._env import attempt_lines
from ._state import Need

_ACTION = label_re("action|command|next command")
_STEPS = label_re("steps left|steps|remaining steps")
_REFLECTION = label_re("reflection")
_NEEDS_RE: tuple[tuple[re.Pattern[str], Need | None], ...] = (
    (re.compile(r"\bthe \w+ must be (clean|hot|cool)\b", re.IGNORECASE), None),
    (re.compile(r"\btwo \w+ must be in the \w+", re.IGNORECASE), "two"),
    (re.compile(r"\bmust be held under the desklamp turned on\b", re.IGNORECASE), "light"),
)


def parse_action(text: str) -> Command:
    """The command after the last ``Action:`` (or the whole answer, if it is one)."""
    _, phrase = read_answer(text, _ACTION)
    try:
        return parse_command(phrase)
    except ValueError as error:
        raise MalformedResponse(
            f"expected a line 'Action: <command>'; {error}", text=text
        ) from None


def parse_steps_left(text: str) -> int:
    """The number after the last ``Steps left:``: commands the task still needs."""
    body, phrase = read_answer(text, _STEPS)
    found = re.search(r"\d+", phrase)
    if found is None or (body is None and found.group(0) != phrase.strip()):
        raise MalformedResponse("expected a line 'Steps left: <number>'", text=text)
    return int(found.group(0))


def parse_solution(text: str) -> str:
    """The attempt's commands, one per line (prose dropped); none is malformed."""
    lines = attempt_lines(text)
    if not lines:
        raise MalformedResponse("expected commands, one per line ('> go to fridge 1')", text=text)
    return "\n".join(lines)


def parse_reflection(text: str) -> str:
    """The reflection (after ``Reflection:`` if present), as one paragraph."""
    body, phrase = read_answer(text, _REFLECTION)
    whole = " ".join((body if body is not None else phrase).split())
    if not whole:
        raise MalformedResponse("expected a reflection", text=text)
    return whole


def memory_facts(lines: Iterable[str]) -> dict[str, bool]:
    """The requirements memory lines state (``the apple must be clean``): the
    environment's verdict after part of a task, or a reflection repeating it."""
    facts: dict[str, bool] = {}
    for line in lines:
        for pattern, need in _NEEDS_RE:
            for match in pattern.finditer(line):
                found = need if need is not None else match.group(1).lower()
                facts[found] = True
    return facts
