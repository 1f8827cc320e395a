"""Reading what an LLM writes about BlocksWorld (real or simulated): an action,
a predicted state, a value, a plan, and the environment's refusals in memory."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rafa_async import MalformedResponse

from .._answers import NUMBER_RE, VALUE_LABEL, label_re, read_answer, read_number
from ._env import action_lines
from ._language import LanguageError, parse_action, parse_fact, parse_facts
from ._pddl import Atom
from ._strips import Facts, GroundAction

_ACTION_LABEL = label_re("action|next action")
_STATE_LABEL = label_re("new state|next state|state")
_REFUSED_RE = re.compile(r"^(?P<action>[^:\n]+): refused; (?P<reasons>[^\n]+?)\.?$", re.MULTILINE)


def parse_action_answer(text: str) -> GroundAction:
    """The action after ``Action:``, else the first line that is an action."""
    body, _ = read_answer(text, _ACTION_LABEL)
    if body is not None:
        try:
            return parse_action(body)
        except LanguageError as error:
            raise MalformedResponse(str(error), text=text) from None
    lines = action_lines(text)
    if not lines:
        raise MalformedResponse("expected a line 'Action: <action>'", text=text)
    return parse_action(lines[0])


def parse_state_answer(text: str) -> Facts | None:
    """The facts after ``New state:`` (``None`` if the answer gives none)."""
    body, _ = read_answer(text, _STATE_LABEL)
    if body is None:
        return None
    try:
        return parse_facts(body)
    except LanguageError as error:
        raise MalformedResponse(f"the new state is unreadable: {error}", text=text) from None


def parse_value(text: str) -> float:
    """The number in a ``Value: <v>`` answer, in [0, 1]."""
    expected = "expected a line 'Value: <number from 0 to 1>'"
    _, phrase = read_answer(text, VALUE_LABEL)
    number = NUMBER_RE.search(phrase)
    if number is None:
        raise MalformedResponse(expected, text=text)
    value = read_number(number.group(1), expected, text)
    if not 0.0 <= value <= 1.0:
        raise MalformedResponse(f"{expected}; {value:g} is outside [0, 1]", text=text)
    return value


def parse_plan(text: str) -> str:
    """The plan's action lines (between ``[PLAN]`` and ``[PLAN END]`` if marked)."""
    body = text.split("[PLAN END]", 1)[0].rsplit("[PLAN]", 1)[-1]
    lines = action_lines(body)
    if not lines:
        raise MalformedResponse("expected a plan: one action per line", text=text)
    return "\n".join(lines)


def refusals(lines: Iterable[str]) -> dict[str, tuple[Atom, ...]]:
    """What memory says was refused: ``{action in PDDL: the facts whose absence
    refused it}`` (from ``<action>: refused; the blue block is not clear.``)."""
    found: dict[str, tuple[Atom, ...]] = {}
    for line in lines:
        for match in _REFUSED_RE.finditer(line):
            try:
                action = parse_action(match.group("action").split("Reflection:")[-1])
                reasons = tuple(
                    parse_fact(r.replace(" not ", " ", 1))
                    for r in match.group("reasons").split(" and ")
                )
            except LanguageError:
                continue
            found[action.pddl] = found.get(action.pddl, ()) + reasons
    return found
