"""Reading ``Label: value`` answers, shared by the scenarios' parsers.

Models decorate (bold, backticks, bullets, ``Move for X:``), put the answer on
the line after its label, or revise themselves; these helpers strip the
decoration and find the last labelled answer, so each scenario's parser only
reads the content it expects.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fractions import Fraction

from rafa_async import MalformedResponse

Translation = Mapping[int, str | None]
"""A ``str.translate`` table."""

DECORATION: Translation = str.maketrans({"*": None, "`": None, "#": None, "“": '"', "”": '"'})
"""Marks a model adds around an answer that never carry meaning."""

NUMBER_RE = re.compile(r"(?<![\w.])([-+−]?(?:\d+(?:\.\d*)?|\.\d+)(?:/\d+)?)(?!\w)")
"""A signed decimal or fraction (``-0.5``, ``1/2``, ``−1``)."""

_BULLET_RE = re.compile(r"^(?:[-•>]\s+)+")

VALUE_WORDS = {
    **dict.fromkeys(("win", "wins", "winning", "won"), 1.0),
    **dict.fromkeys(("draw", "drawn", "drawish", "tie", "even"), 0.0),
    **dict.fromkeys(("loss", "lose", "loses", "losing", "lost"), -1.0),
}
"""Words a model may answer instead of a number, from the asked player's side."""


def label_re(labels: str) -> re.Pattern[str]:
    """A labelled line for any of ``labels`` (a regex alternation); its answer is ``body``."""
    # A few words may sit between the label and its colon: "Move for X:".
    return re.compile(rf"\b(?:{labels})\b[^:：\n]{{0,16}}[:：]\s*(?P<body>.*)$", re.IGNORECASE)


VALUE_LABEL = label_re("value|score|evaluation")


def _lines(text: str, decoration: Translation) -> list[str]:
    return [line.translate(decoration).strip() for line in text.splitlines()]


def labelled(text: str, label: re.Pattern[str], decoration: Translation = DECORATION) -> str | None:
    """The body of the last labelled line (the next line if the label stands alone)."""
    lines = _lines(text, decoration)
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


def bare(text: str, decoration: Translation = DECORATION) -> str:
    """The whole answer as one short phrase, for answers without a label."""
    # A bullet is a mark followed by a space: "-0.5" keeps its sign.
    return _BULLET_RE.sub("", " ".join(_lines(text, decoration)).strip()).rstrip(".!")


def read_answer(
    text: str, label: re.Pattern[str], decoration: Translation = DECORATION
) -> tuple[str | None, str]:
    """``(body, phrase)``: the labelled body (None without a label) and the phrase
    to read the answer from (the body, else the whole answer)."""
    body = labelled(text, label, decoration)
    return body, bare(text, decoration) if body is None else body


def read_number(number: str, expected: str, text: str) -> float:
    """A number :data:`NUMBER_RE` matched, as a float; a zero denominator is malformed."""
    try:
        return float(Fraction(number.replace("−", "-")))
    except ZeroDivisionError:
        raise MalformedResponse(f"{expected}; got {number!r}", text=text) from None


def parse_signed_value(text: str) -> float:
    """The number in a ``Value: <v>`` answer, in [-1, 1]; an answer that starts
    with a win/draw/loss word counts as 1, 0 or -1 from the asked player's side."""
    expected = "expected a line 'Value: <number from -1 to 1>' (or win, draw, loss)"
    body, phrase = read_answer(text, VALUE_LABEL)
    number = NUMBER_RE.search(phrase)
    if body is None and number is not None and number.group(1) != phrase:
        raise MalformedResponse(expected, text=text)
    if number is not None:
        found = read_number(number.group(1), expected, text)
        if not -1.0 <= found <= 1.0:
            raise MalformedResponse(f"{expected}; {found:g} is outside [-1, 1]", text=text)
        return found
    words = re.findall(r"[a-z]+", phrase.lower())
    # Only a leading word: "X is winning" names a side, and may not be the asked one.
    if words and words[0] in VALUE_WORDS and (body is not None or len(words) == 1):
        return VALUE_WORDS[words[0]]
    raise MalformedResponse(expected, text=text)
