"""Parsers for what an LLM writes about Nim (real or simulated).

Forgiving about decoration (bold, backticks, bullets, ``Move for A:``, a
trailing explanation, the answer on the line after its label, spaces around
the colon, "take 3 from heap 2"), strict about content: an answer that
names no move, names two, names heap or count 0, or gives a value outside [-1, 1]
raises :class:`~rafa_async.MalformedResponse` saying what was expected.
When several labelled lines appear, the last one is the answer (models
revise themselves).  Whether a move is legal is the rules' business: the
world model checks it.
"""

from __future__ import annotations

import re

from rafa_async import MalformedResponse

from .._answers import VALUE_WORDS as VALUE_WORDS, label_re, parse_signed_value, read_answer

_COLON = r"(?P<heap>\d+)\s*:\s*(?P<count>\d+)(?![\d:]|\.\d)"
_TAKE = (
    r"(?:take|remove)s?\s+(?P<taken>\d+)\s+(?:(?:objects?|stones?|counters?)\s+)?"
    r"from\s+(?:the\s+)?(?:heap|pile)\s+(?P<from>\d+)\b"
)
_MOVE_RE = re.compile(rf"(?<![\w:.]){_COLON}|\b{_TAKE}", re.IGNORECASE)
_LEAD_RE = re.compile(rf"^[\s\"'(\[<-]*(?:{_COLON}|{_TAKE})", re.IGNORECASE)

_MOVE_LABEL = label_re("move|answer")
_REPLY_LABEL = label_re("reply|response|move|prediction|answer")


def _heap_and_count(found: re.Match[str]) -> tuple[int, int]:
    if found.group("heap") is not None:
        return int(found.group("heap")), int(found.group("count"))
    return int(found.group("from")), int(found.group("taken"))


def _move(text: str, label: re.Pattern[str], expected: str) -> str:
    """The move an answer names: the one its labelled line starts with, else
    the only one it mentions; without a label, the whole answer must be the
    move ("2:3", "take 3 from heap 2")."""
    body, phrase = read_answer(text, label)
    lead = _LEAD_RE.match(phrase)
    if lead is not None and (body is not None or lead.end() == len(phrase)):
        moves = {_heap_and_count(lead)}
    else:
        moves = {_heap_and_count(found) for found in _MOVE_RE.finditer(phrase)}
        if body is None or not moves:
            raise MalformedResponse(expected, text=text)
    if len(moves) > 1:
        names = ", ".join(f"{heap}:{count}" for heap, count in sorted(moves))
        raise MalformedResponse(f"{expected}; found several moves: {names}", text=text)
    ((heap, count),) = moves
    if not heap or not count:
        raise MalformedResponse(
            f"{expected}; {heap}:{count} is not a move (heaps and counts start at 1)", text=text
        )
    return f"{heap}:{count}"


def parse_move(text: str) -> str:
    """The move in a ``Move: <heap>:<count>`` answer (or a bare move), canonical (``2:3``)."""
    return _move(text, _MOVE_LABEL, "expected a line 'Move: <heap>:<count>', e.g. 'Move: 2:3'")


def parse_reply(text: str) -> str:
    """The move in an ``Opponent reply: <heap>:<count>`` answer (or a bare move)."""
    return _move(
        text,
        _REPLY_LABEL,
        "expected a line 'Opponent reply: <heap>:<count>', e.g. 'Opponent reply: 2:3'",
    )


def parse_value(text: str) -> float:
    """The number in a ``Value: <v>`` answer, in [-1, 1]; an answer that starts
    with a win/loss word counts as 1 or -1 from the asked player's side."""
    return parse_signed_value(text)
