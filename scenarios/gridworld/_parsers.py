"""Parsers for what an LLM writes about the foraging gridworld (real or simulated).

Forgiving about decoration (bold, backticks, bullets, capitals, ``Move for
a3:``, a trailing explanation, the answer on the line after its label) and
about wording (``north``/``up`` for ``N``, ``wait`` for ``stay``, ``x=3, y=4``
for ``(3, 4)``, ``80%`` for ``0.8``); strict about content: an answer that
names no move, starts with something else, offers alternatives ("N or E"),
or gives a value outside [0, 1] raises
:class:`~rafa_async.MalformedResponse` saying what was expected.  When
several labelled lines appear, the last one is the answer (models revise).
"""

from __future__ import annotations

import re

from rafa_async import MalformedResponse

from .._answers import VALUE_LABEL, label_re, read_answer, read_number
from ._view import Point

_DECORATION = str.maketrans({"*": None, "`": None, "#": None, "_": None})

_MOVE_WORDS = {
    **dict.fromkeys(("n", "north", "up", "northward", "northwards"), "N"),
    **dict.fromkeys(("s", "south", "down", "southward", "southwards"), "S"),
    **dict.fromkeys(("e", "east", "right", "eastward", "eastwards"), "E"),
    **dict.fromkeys(("w", "west", "left", "westward", "westwards"), "W"),
    **dict.fromkeys(("stay", "wait", "hold", "remain", "none", "nothing", "pass"), "stay"),
}
_MOVE_FILLER = {"go", "move", "moving", "head", "step", "walk", "i", "will", "to", "the", "one"}
_MOVE_FILLER |= {"towards", "toward", "cell", "square", "put", "in", "place"}

_PAIR_RE = re.compile(r"^\(?\s*(-?\d+)\s*,\s*(-?\d+)\s*\)?")
_XY_RE = re.compile(r"^x\s*[=:]\s*(-?\d+)\s*[,;]?\s*y\s*[=:]\s*(-?\d+)", re.IGNORECASE)
_NUMBER_RE = re.compile(r"(?<![\w.])([-+−]?(?:\d+(?:\.\d*)?|\.\d+)(?:/\d+)?)(%?)(?!\w)")


_MOVE_LABEL = label_re("move|action|answer|direction")
_POSITION_LABEL = label_re("next position|position|answer|location")


def parse_move(text: str) -> str:
    """The move in a ``Move: <N|S|E|W|stay>`` answer (or a bare move), canonical."""
    expected = "expected a line 'Move: <N, S, E, W or stay>'"
    body, phrase = read_answer(text, _MOVE_LABEL, _DECORATION)
    words = [w for w in re.findall(r"[a-z]+", phrase.lower()) if w not in _MOVE_FILLER]
    if not words or words[0] not in _MOVE_WORDS:
        raise MalformedResponse(expected, text=text)
    rest = words[1:]
    if rest and rest[0] in ("or", "and", "then"):
        raise MalformedResponse(f"{expected}; found several moves: {phrase!r}", text=text)
    if body is None and rest:
        raise MalformedResponse(expected, text=text)
    return _MOVE_WORDS[words[0]]


def parse_position(text: str) -> Point:
    """The cell in a ``Next position: (x, y)`` answer (or a bare ``(x, y)``)."""
    expected = "expected a line 'Next position: (x, y)'"
    body, phrase = read_answer(text, _POSITION_LABEL, _DECORATION)
    phrase = phrase.replace("−", "-")
    match = _PAIR_RE.match(phrase) or _XY_RE.match(phrase)
    if match is None or (body is None and match.end() != len(phrase)):
        raise MalformedResponse(expected, text=text)
    return int(match.group(1)), int(match.group(2))


def parse_value(text: str) -> float:
    """The number in a ``Value: <v>`` answer, in [0, 1] (``80%`` is 0.8)."""
    expected = "expected a line 'Value: <number from 0 to 1>'"
    body, phrase = read_answer(text, VALUE_LABEL, _DECORATION)
    number = _NUMBER_RE.search(phrase)
    if number is None or (body is None and number.group(0) != phrase):
        raise MalformedResponse(expected, text=text)
    found = read_number(number.group(1), expected, text)
    if number.group(2):
        found /= 100
    if not 0.0 <= found <= 1.0:
        raise MalformedResponse(f"{expected}; {found:g} is outside [0, 1]", text=text)
    return found
