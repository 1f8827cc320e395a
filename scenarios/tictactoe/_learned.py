"""The learned models of the paper's Tic-Tac-Toe agent: board transition and winner detection.

RAFA's Tic-Tac-Toe code plans with three LLM-answered models besides the
actor: a *dynamics* model (the board after a move), an *opponent* model (the
reply; the board games' ``predict``) and a *winner* model (who has won, or
whether the board is full).  Each learns in context: when one of them
mispredicts a real move, the observed truth is added to the agent's memory
as an example, and every later prompt carries it.

The examples are memory lines in one phrasing each, read back by the sim
(:func:`board_facts`, :func:`winner_facts`) exactly as a real model reads
them in its prompt:

* ``"After X plays b2 in <key> the board is <key>"`` (:func:`board_fact`);
* ``"Winner in <key>: X"`` -- ``X``, ``O``, ``draw`` or ``none`` (:func:`winner_fact`).

Requests reuse the two intent kinds whose meaning they share: a transition
is a ``predict`` whose ``detail`` is the move, ``"X plays b2"`` (predict the
board, not the reply), winner detection an ``evaluate`` whose ``detail`` is
``"winner"`` (judge the board, not its value).  Both details are in the
prompt's text, as every intent's content is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from rafa_async import MalformedResponse

from .._answers import label_re, read_answer
from .._prompting import memory_block
from ._prompts import RULES
from ._state import TicTacToeState, state_from_key

Verdict = Literal["X", "O", "draw", "none"]
VERDICTS: tuple[Verdict, ...] = ("X", "O", "draw", "none")
"""What the winner model says: a player won, the board is full without a
line (``draw``), or the game goes on (``none``)."""

WINNER_DETAIL = "winner"
_TRANSITION_DETAIL_RE = re.compile(r"([XO]) plays ([a-c][1-3])")

_KEY = r"[XO.]{3}/[XO.]{3}/[XO.]{3}"
_BOARD_FACT_RE = re.compile(
    rf"\bAfter (?P<player>[XO]) plays (?P<move>[a-c][1-3]) in (?P<key>{_KEY}) "
    rf"the board is (?P<next>{_KEY})"
)
_WINNER_FACT_RE = re.compile(rf"\bWinner in (?P<key>{_KEY}): (?P<verdict>X|O|draw|none)\b")
_KEY_RE = re.compile(_KEY)
_VERDICT_WORDS: Mapping[str, Verdict] = {"x": "X", "o": "O", "draw": "draw", "none": "none"}
_BOARD_LABEL = label_re("board|position|answer")
_WINNER_LABEL = label_re("winner|answer")


def verdict_of(state: TicTacToeState) -> Verdict:
    """The true verdict on a board, by the rules."""
    winner = state.winner
    if winner is not None:
        return "X" if winner == "X" else "O"
    return "draw" if state.done else "none"


def transition_detail(player: str, move: str) -> str:
    return f"{player} plays {move}"


def parse_transition_detail(detail: str) -> tuple[str, str] | None:
    """``(player, move)`` from a transition request's detail; None for any other detail."""
    found = _TRANSITION_DETAIL_RE.fullmatch(detail)
    return None if found is None else (found[1], found[2])


def board_fact(player: str, move: str, key: str, next_key: str) -> str:
    return f"After {player} plays {move} in {key} the board is {next_key}"


def winner_fact(key: str, verdict: Verdict) -> str:
    return f"Winner in {key}: {verdict}"


def move_name(key: str, player: str, move: str) -> str:
    """What a board example is about: ``"<key> <player> <move>"``."""
    return f"{key} {player} {move}"


def board_facts(lines: Iterable[str]) -> dict[str, str]:
    """``{move_name: next key}`` from memory; the latest example wins."""
    facts: dict[str, str] = {}
    for line in lines:
        for m in _BOARD_FACT_RE.finditer(line):
            facts[move_name(m["key"], m["player"], m["move"])] = m["next"]
    return facts


def winner_facts(lines: Iterable[str]) -> dict[str, Verdict]:
    """``{key: verdict}`` from memory; the latest example wins."""
    facts: dict[str, Verdict] = {}
    for line in lines:
        for m in _WINNER_FACT_RE.finditer(line):
            facts[m["key"]] = _VERDICT_WORDS[m["verdict"].lower()]
    return facts


def board_examples(memory: Sequence[str]) -> tuple[str, ...]:
    """The memory lines the dynamics model's prompt shows: its own examples."""
    return tuple(line for line in memory if _BOARD_FACT_RE.search(line))


def winner_examples(memory: Sequence[str]) -> tuple[str, ...]:
    """The memory lines the winner model's prompt shows: its own examples."""
    return tuple(line for line in memory if _WINNER_FACT_RE.search(line))


def transition_prompt(state: TicTacToeState, player: str, move: str, memory: Sequence[str]) -> str:
    examples = memory_block(memory, "Examples of moves and the boards they gave:")
    return (
        f"{RULES}\n\n{examples}Position {state.key}:\n{state.render()}\n\n"
        f"{transition_detail(player, move)}. Predict the board after this move.\n"
        "Answer with one line: Board: <key, rows from the top, e.g. X../.O./...>"
    )


def winner_prompt(state: TicTacToeState, memory: Sequence[str]) -> str:
    examples = memory_block(memory, "Examples of boards and their verdicts:")
    return (
        f"{RULES}\n\n{examples}Position {state.key}:\n{state.render()}\n\n"
        "Is there a winner? Check every row, column and diagonal: has a player three "
        "in a line, is the board full without one, or does the game go on?\n"
        "Answer with one line: Winner: X | O | draw | none"
    )


def parse_board(text: str) -> TicTacToeState:
    """The position a ``Board: <key>`` answer names; :class:`MalformedResponse`
    for an answer without exactly one reachable key."""
    _, phrase = read_answer(text, _BOARD_LABEL)
    keys = _KEY_RE.findall(phrase.upper().replace("0", "O"))
    if len(keys) != 1:
        raise MalformedResponse("expected a line 'Board: <key>' naming one position", text=text)
    try:
        return state_from_key(keys[0])
    except ValueError as error:
        raise MalformedResponse(f"predicted board: {error}", text=text) from None


def parse_winner(text: str) -> Verdict:
    """The verdict in a ``Winner: X|O|draw|none`` answer."""
    _, phrase = read_answer(text, _WINNER_LABEL)
    words = phrase.strip().strip(".!\"'").split()
    word = words[0].lower().rstrip(".,;") if words else ""
    if word not in _VERDICT_WORDS:
        raise MalformedResponse("expected a line 'Winner: X | O | draw | none'", text=text)
    return _VERDICT_WORDS[word]
