"""Parsers for what an LLM writes about Connect Four (real or simulated).

Forgiving about decoration (bold, backticks, bullets, ``Move for R:``,
"column 4", a trailing explanation, the answer on the line after its label,
number words and "the centre"), strict about content: an answer that names
no column, names two, names one outside 1..7, or gives a value outside
[-1, 1] raises :class:`~rafa_async.MalformedResponse` saying what was
expected.  When several labelled lines appear, the last one is the answer
(models revise themselves).
"""

from __future__ import annotations

import re

from rafa_async import MalformedResponse

from .._answers import VALUE_WORDS as VALUE_WORDS, label_re, parse_signed_value, read_answer

_INTEGER_RE = re.compile(r"(?<![\w.])(\d+)(?!\w|\.\d)")
_LEAD_RE = re.compile(
    r"^[\s\"'(\[<-]*(?:(?:the\s+)?(?:column|col)\.?\s*)?(\d+)(?!\w|\.\d)", re.IGNORECASE
)
_FILLER = {"the", "column", "col"}
_COLUMN_WORDS = {
    **{w: str(i) for i, w in enumerate(("one", "two", "three", "four", "five", "six", "seven"), 1)},
    **{w: str(i) for i, w in enumerate(("first", "second", "third", "fourth", "fifth"), 1)},
    "sixth": "6",
    "seventh": "7",
    "leftmost": "1",
    "rightmost": "7",
    **dict.fromkeys(("centre", "center", "middle", "central"), "4"),
}

_MOVE_LABEL = label_re("move|answer")
_REPLY_LABEL = label_re("reply|response|move|prediction|answer")


def _column_name(phrase: str) -> str | None:
    """``"column four"`` -> ``4``, ``"the centre"`` -> ``4``; None for anything else."""
    words = re.sub(r"[^a-z ]", " ", phrase.lower().replace("-", " ")).split()
    words = [w for w in words if w not in _FILLER]
    return _COLUMN_WORDS.get(words[0]) if len(words) == 1 else None


def _checked(number: str, expected: str, text: str) -> str:
    if not 1 <= int(number) <= 7:
        raise MalformedResponse(f"{expected}; {int(number)} is not a column 1..7", text=text)
    return str(int(number))


def _column(text: str, label: re.Pattern[str], expected: str) -> str:
    """The column an answer names: the number its labelled line starts with, else
    the only number it mentions, else a plain name; without a label, the whole
    answer must be the column ("4", "column 4", "the centre")."""
    body, phrase = read_answer(text, label)
    lead = _LEAD_RE.match(phrase)
    if lead is not None and (body is not None or lead.end() == len(phrase)):
        return _checked(lead.group(1), expected, text)
    named = _column_name(phrase.rstrip(".!"))
    if named is not None:
        return named
    numbers = sorted({str(int(n)) for n in _INTEGER_RE.findall(phrase)}, key=int)
    if body is None or not numbers:
        raise MalformedResponse(expected, text=text)
    if len(numbers) > 1:
        raise MalformedResponse(f"{expected}; found several: {', '.join(numbers)}", text=text)
    return _checked(numbers[0], expected, text)


def parse_move(text: str) -> str:
    """The column in a ``Move: <column>`` answer (or a bare column), canonical (``4``)."""
    return _column(text, _MOVE_LABEL, "expected a line 'Move: <column>' naming one column 1..7")


def parse_reply(text: str) -> str:
    """The column in an ``Opponent reply: <column>`` answer (or a bare column)."""
    return _column(
        text, _REPLY_LABEL, "expected a line 'Opponent reply: <column>' naming one column 1..7"
    )


def parse_value(text: str) -> float:
    """The number in a ``Value: <v>`` answer, in [-1, 1]; an answer that starts
    with a win/draw/loss word counts as 1, 0 or -1 from the asked player's side."""
    return parse_signed_value(text)
