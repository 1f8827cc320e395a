"""Parsers for what an LLM writes about the prisoner's dilemma (real or simulated).

Forgiving about form (bold, backticks, bullets, capitals, ``Move for p1:``,
words instead of letters -- "Cooperate", "p2 will defect" --, a trailing
explanation, the answer on the line after its label), strict about content:
an answer that names no move, names both, leaves an opponent out, predicts
a player who is not an opponent, or gives a value outside [-1, 1] raises
:class:`~rafa_async.MalformedResponse` saying what was expected.  When
several labelled lines appear, the last one is the answer (models revise
themselves).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rafa_async import MalformedResponse

from .._answers import NUMBER_RE, VALUE_LABEL, label_re, read_answer, read_number
from ._state import COOPERATE, DEFECT

_WORD = r"(?:[CD]|cooperat\w*|defect\w*)"
_LEAD_RE = re.compile(rf"^[\s\"'(\[<]*(?P<move>{_WORD})(?!\w)", re.IGNORECASE)
_ALTERNATIVE_RE = re.compile(rf"\s*(?:or|/|and)\s*{_WORD}(?!\w)", re.IGNORECASE)
_MENTION_RE = re.compile(r"(?<![\w-])(?:[CD]|(?i:cooperat\w*|defect\w*))(?![\w-])")
_VERBS = r"(?:(?:will|would|should|probably|likely|is|to|plays?|chooses?|picks?)\s+)*"
_PAIR_RE = re.compile(
    rf"\b(?P<player>p[1-9]\d*)\b[\s:=>→-]*{_VERBS}(?P<move>{_WORD})(?!\w)", re.IGNORECASE
)
_PAIR_GLUE_RE = re.compile(r"^(?:[\s,;.&]|\band\b)*$", re.IGNORECASE)


_MOVE_LABEL = label_re("move|answer|action|choice")
_PREDICTION_LABEL = label_re("prediction|predicted moves?|reply|replies|answer")


def _canonical(word: str) -> str:
    return COOPERATE if word[0] in "cC" else DEFECT


def _move_in(phrase: str, labelled: bool) -> str | None:
    """The move a phrase names: its leading move word; in a labelled body also
    the only move it mentions.  None if it names none; raises if both."""
    lead = _LEAD_RE.match(phrase)
    if lead is not None and (labelled or lead.end() == len(phrase.rstrip(".! "))):
        if _ALTERNATIVE_RE.match(phrase, lead.end()):
            raise ValueError("names both C and D")
        return _canonical(lead.group("move"))
    if not labelled:
        return None
    found = {_canonical(m.group(0)) for m in _MENTION_RE.finditer(phrase)}
    if len(found) > 1:
        raise ValueError("names both C and D")
    return found.pop() if found else None


def parse_move(text: str) -> str:
    """The move in a ``Move: C`` / ``Move: D`` answer (or a bare move word),
    canonical (``"C"`` or ``"D"``)."""
    expected = "expected a line 'Move: C' or 'Move: D'"
    body, phrase = read_answer(text, _MOVE_LABEL)
    try:
        move = _move_in(phrase, body is not None)
    except ValueError as error:
        raise MalformedResponse(f"{expected}; the answer {error}", text=text) from None
    if move is None:
        raise MalformedResponse(expected, text=text)
    return move


def parse_prediction(text: str, opponents: Sequence[str]) -> dict[str, str]:
    """Each opponent's predicted move in a ``Prediction: p2 plays D, p3 plays C``
    answer, by player in the order of ``opponents``.

    With a single opponent a bare move (``Prediction: D``) names its move.
    Every opponent must be named once (repeating the same move is fine); a
    player who is not an opponent may not be.
    """
    answer = ", ".join(f"{q} plays <C or D>" for q in opponents)
    expected = f"expected a line 'Prediction: {answer}'"
    body, phrase = read_answer(text, _PREDICTION_LABEL)
    pairs = list(_PAIR_RE.finditer(phrase))
    if body is None and pairs and not _PAIR_GLUE_RE.match(_PAIR_RE.sub("", phrase)):
        raise MalformedResponse(expected, text=text)
    if not pairs:
        try:
            move = _move_in(phrase, body is not None) if len(opponents) == 1 else None
        except ValueError as error:
            raise MalformedResponse(f"{expected}; the answer {error}", text=text) from None
        if move is None:
            raise MalformedResponse(expected, text=text)
        return {opponents[0]: move}
    found: dict[str, str] = {}
    for pair in pairs:
        player, move = pair.group("player").lower(), _canonical(pair.group("move"))
        if player not in opponents:
            raise MalformedResponse(
                f"{expected}; {player} is not an opponent (opponents: {', '.join(opponents)})",
                text=text,
            )
        if found.setdefault(player, move) != move:
            raise MalformedResponse(f"{expected}; {player} is given both C and D", text=text)
    missing = [q for q in opponents if q not in found]
    if missing:
        raise MalformedResponse(f"{expected}; no move for {', '.join(missing)}", text=text)
    return {q: found[q] for q in opponents}


def parse_value(text: str) -> float:
    """The number in a ``Value: <v>`` answer (or a bare number), in [-1, 1];
    fractions such as ``1/2`` are read too."""
    expected = "expected a line 'Value: <number from -1 to 1>'"
    body, phrase = read_answer(text, VALUE_LABEL)
    number = NUMBER_RE.search(phrase)
    if number is None or (body is None and number.group(1) != phrase):
        raise MalformedResponse(expected, text=text)
    found = read_number(number.group(1), expected, text)
    if not -1.0 <= found <= 1.0:
        raise MalformedResponse(f"{expected}; {found:g} is outside [-1, 1]", text=text)
    return found
