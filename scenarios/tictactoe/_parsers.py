"""Parsers for what an LLM writes about tic-tac-toe (real or simulated).

Forgiving about decoration (bold, backticks, bullets, ``Move for X:``,
capitals, a trailing explanation, the answer on the line after its label,
plain names such as "top left" or "the centre"), strict about content:
an answer that names no cell, names two, or gives a value outside [-1, 1]
raises :class:`~rafa_async.MalformedResponse` saying what was expected.
When several labelled lines appear, the last one is the answer (models
revise themselves).
"""

from __future__ import annotations

import re
from fractions import Fraction

from rafa_async import MalformedResponse

_DECORATION = str.maketrans({"*": None, "`": None, "#": None, "“": '"', "”": '"'})
_CELL_RE = re.compile(r"(?<![A-Za-z0-9])([a-cA-C])([1-3])(?![A-Za-z0-9])")
_LEAD_RE = re.compile(
    r"^[\s\"'(\[<-]*(?:(?:the\s+)?(?:cell|square)\s+)?([a-cA-C][1-3])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_BULLET_RE = re.compile(r"^(?:[-•>]\s+)+")
_NUMBER_RE = re.compile(r"(?<![\w.])([-+−]?(?:\d+(?:\.\d*)?|\.\d+)(?:/\d+)?)(?!\w)")
_FILLER = {"the", "cell", "square", "corner", "edge", "side", "spot", "position", "one"}
_ROW_WORDS = {"top": "3", "upper": "3", "middle": "2", "center": "2", "centre": "2"}
_ROW_WORDS |= {"bottom": "1", "lower": "1"}
_COLUMN_WORDS = {"left": "a", "middle": "b", "center": "b", "centre": "b", "right": "c"}

VALUE_WORDS = {
    **dict.fromkeys(("win", "wins", "winning", "won"), 1.0),
    **dict.fromkeys(("draw", "drawn", "drawish", "tie", "even"), 0.0),
    **dict.fromkeys(("loss", "lose", "loses", "losing", "lost"), -1.0),
}
"""Words a model may answer instead of a number, from the asked player's side."""


def _label_re(labels: str) -> re.Pattern[str]:
    # A few words may sit between the label and its colon: "Move for X:".
    return re.compile(rf"\b(?:{labels})\b[^:：\n]{{0,16}}[:：]\s*(?P<body>.*)$", re.IGNORECASE)


_MOVE_LABEL = _label_re("move|answer")
_REPLY_LABEL = _label_re("reply|response|move|prediction|answer")
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
    # A bullet is a mark followed by a space: "-0.5" keeps its sign.
    return _BULLET_RE.sub("", " ".join(_lines(text)).strip()).rstrip(".!")


def _cell_name(phrase: str) -> str | None:
    """``"top left"`` -> ``a3``, ``"the centre"`` -> ``b2``; None for anything else."""
    words = re.sub(r"[^a-z ]", " ", phrase.lower().replace("-", " ")).split()
    words = [w for w in words if w not in _FILLER]
    if len(words) == 1:
        (w,) = words
        if w in _ROW_WORDS and w in _COLUMN_WORDS:
            return "b2"
        if w in _ROW_WORDS:
            return f"b{_ROW_WORDS[w]}"
        if w in _COLUMN_WORDS:
            return f"{_COLUMN_WORDS[w]}2"
    if len(words) == 2 and words[0] in _ROW_WORDS and words[1] in _COLUMN_WORDS:
        return f"{_COLUMN_WORDS[words[1]]}{_ROW_WORDS[words[0]]}"
    return None


def _cell(text: str, label: re.Pattern[str], expected: str) -> str:
    """The cell an answer names: the one its labelled line starts with, else the
    only one it mentions, else a plain name; without a label, the whole answer
    must be the cell ("b2", "the centre")."""
    body = _labelled(text, label)
    phrase = _bare(text) if body is None else body
    lead = _LEAD_RE.match(phrase)
    if lead is not None and (body is not None or lead.end() == len(phrase)):
        return lead.group(1).lower()
    named = _cell_name(phrase.rstrip(".!"))
    if named is not None:
        return named
    cells = sorted({f"{c.lower()}{r}" for c, r in _CELL_RE.findall(phrase)})
    if body is None or not cells:
        raise MalformedResponse(expected, text=text)
    if len(cells) > 1:
        raise MalformedResponse(f"{expected}; found several cells: {', '.join(cells)}", text=text)
    return cells[0]


def parse_move(text: str) -> str:
    """The cell in a ``Move: <cell>`` answer (or a bare cell), canonical (``b2``)."""
    return _cell(text, _MOVE_LABEL, "expected a line 'Move: <cell>' naming one cell a1..c3")


def parse_reply(text: str) -> str:
    """The cell in an ``Opponent reply: <cell>`` answer (or a bare cell)."""
    return _cell(
        text, _REPLY_LABEL, "expected a line 'Opponent reply: <cell>' naming one cell a1..c3"
    )


def parse_value(text: str) -> float:
    """The number in a ``Value: <v>`` answer, in [-1, 1]; an answer that starts
    with a win/draw/loss word counts as 1, 0 or -1 from the asked player's side."""
    expected = "expected a line 'Value: <number from -1 to 1>' (or win, draw, loss)"
    body = _labelled(text, _VALUE_LABEL)
    phrase = _bare(text) if body is None else body
    number = _NUMBER_RE.search(phrase)
    if body is None and number is not None and number.group(1) != phrase:
        raise MalformedResponse(expected, text=text)
    if number is not None:
        try:
            found = float(Fraction(number.group(1).replace("−", "-")))
        except ZeroDivisionError:
            raise MalformedResponse(f"{expected}; got {number.group(1)!r}", text=text) from None
        if not -1.0 <= found <= 1.0:
            raise MalformedResponse(f"{expected}; {found:g} is outside [-1, 1]", text=text)
        return found
    words = re.findall(r"[a-z]+", phrase.lower())
    # Only a leading word: "X is winning" names a side, and may not be the asked one.
    if words and words[0] in VALUE_WORDS and (body is not None or len(words) == 1):
        return VALUE_WORDS[words[0]]
    raise MalformedResponse(expected, text=text)
