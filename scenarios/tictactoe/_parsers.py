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

from rafa_async import MalformedResponse

from .._answers import VALUE_WORDS as VALUE_WORDS, label_re, parse_signed_value, read_answer

_CELL_RE = re.compile(r"(?<![A-Za-z0-9])([a-cA-C])([1-3])(?![A-Za-z0-9])")
_LEAD_RE = re.compile(
    r"^[\s\"'(\[<-]*(?:(?:the\s+)?(?:cell|square)\s+)?([a-cA-C][1-3])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_FILLER = {"the", "cell", "square", "corner", "edge", "side", "spot", "position", "one"}
_ROW_WORDS = {"top": "3", "upper": "3", "middle": "2", "center": "2", "centre": "2"}
_ROW_WORDS |= {"bottom": "1", "lower": "1"}
_COLUMN_WORDS = {"left": "a", "middle": "b", "center": "b", "centre": "b", "right": "c"}

_MOVE_LABEL = label_re("move|answer")
_REPLY_LABEL = label_re("reply|response|move|prediction|answer")


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
    body, phrase = read_answer(text, label)
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
    return parse_signed_value(text)
