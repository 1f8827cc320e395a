"""Parsers for what an LLM writes about Connect Four (real or simulated).

Forgiving about decoration (bold, backticks, bullets, ``Move for R:``,
"column 4", a trailing explanation, the answer on the line after its label,
number words and "the centre"), strict about content: an answer that names
no column, names two, names one outside 1..7, or gives a value outside
[-1, 1] raises :class:`~rafa_async.MalformedResponse` saying what was
expected.  When several labelled lines appear, the last one is the answer
(models revise themselves).

The label and value helpers mirror ``tictactoe._parsers``; they are kept
apart so the two scenarios stay independent packages.
"""

from __future__ import annotations

import re
from fractions import Fraction

from rafa_async import MalformedResponse

_DECORATION = str.maketrans({"*": None, "`": None, "#": None, "“": '"', "”": '"'})
_INTEGER_RE = re.compile(r"(?<![\w.])(\d+)(?!\w|\.\d)")
_LEAD_RE = re.compile(
    r"^[\s\"'(\[<-]*(?:(?:the\s+)?(?:column|col)\.?\s*)?(\d+)(?!\w|\.\d)", re.IGNORECASE
)
_BULLET_RE = re.compile(r"^(?:[-•>]\s+)+")
_NUMBER_RE = re.compile(r"(?<![\w.])([-+−]?(?:\d+(?:\.\d*)?|\.\d+)(?:/\d+)?)(?!\w)")
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
    body = _labelled(text, label)
    phrase = _bare(text) if body is None else body
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
