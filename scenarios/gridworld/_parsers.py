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
from fractions import Fraction

from rafa_async import MalformedResponse

from ._view import Point

_DECORATION = str.maketrans({"*": None, "`": None, "#": None, "_": None})
_BULLET_RE = re.compile(r"^(?:[-•>]\s+)+")

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


def _label_re(labels: str) -> re.Pattern[str]:
    # A few words may sit between the label and its colon: "Move for a3:".
    return re.compile(rf"\b(?:{labels})\b[^:：\n]{{0,16}}[:：]\s*(?P<body>.*)$", re.IGNORECASE)


_MOVE_LABEL = _label_re("move|action|answer|direction")
_POSITION_LABEL = _label_re("next position|position|answer|location")
_VALUE_LABEL = _label_re("value|score|evaluation")


def _lines(text: str) -> list[str]:
    return [line.translate(_DECORATION).strip() for line in text.splitlines()]


def _labelled(text: str, label: re.Pattern[str]) -> str | None:
    """The body of the last labelled line (the next line if the label stands alone)."""
    lines = _lines(text)
    found = None
    for i, line in enumerate(lines):
        match = label.search(line)
        if match is None:
            continue
        body = match.group("body").strip()
        if not body:
            following = [x for x in lines[i + 1 :] if x]
            body = following[0] if following and not label.search(following[0]) else ""
        found = body
    return found


def _bare(text: str) -> str:
    """The whole answer as one short phrase, for answers without a label."""
    return _BULLET_RE.sub("", " ".join(_lines(text)).strip()).rstrip(".!")


def parse_move(text: str) -> str:
    """The move in a ``Move: <N|S|E|W|stay>`` answer (or a bare move), canonical."""
    expected = "expected a line 'Move: <N, S, E, W or stay>'"
    body = _labelled(text, _MOVE_LABEL)
    phrase = _bare(text) if body is None else body
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
    body = _labelled(text, _POSITION_LABEL)
    phrase = _bare(text) if body is None else body
    phrase = phrase.replace("−", "-")
    match = _PAIR_RE.match(phrase) or _XY_RE.match(phrase)
    if match is None or (body is None and match.end() != len(phrase)):
        raise MalformedResponse(expected, text=text)
    return int(match.group(1)), int(match.group(2))


def parse_value(text: str) -> float:
    """The number in a ``Value: <v>`` answer, in [0, 1] (``80%`` is 0.8)."""
    expected = "expected a line 'Value: <number from 0 to 1>'"
    body = _labelled(text, _VALUE_LABEL)
    phrase = _bare(text) if body is None else body
    number = _NUMBER_RE.search(phrase)
    if number is None or (body is None and number.group(0) != phrase):
        raise MalformedResponse(expected, text=text)
    try:
        found = float(Fraction(number.group(1).replace("−", "-")))
    except ZeroDivisionError:
        raise MalformedResponse(f"{expected}; got {number.group(1)!r}", text=text) from None
    if number.group(2):
        found /= 100
    if not 0.0 <= found <= 1.0:
        raise MalformedResponse(f"{expected}; {found:g} is outside [0, 1]", text=text)
    return found
