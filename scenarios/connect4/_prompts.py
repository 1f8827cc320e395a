"""Prompt text for Connect Four: actor (propose), opponent model (predict), critic (evaluate).

Each prompt shows the board, its key (the name memory facts use), the rules
of the notation, the memory lines, and asks for one labelled line, so the
same parsers read a real model's answer and the simulated one's.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._board import board_predict_prompt, board_propose_prompt, board_value_prompt
from ._state import ConnectFourState

_RULES = (
    "Connect four: R and Y take turns dropping a piece into one of the columns 1-7 "
    "(left to right) of a 7x6 board; it falls to the lowest empty cell. Four pieces in a "
    "row, column or diagonal win; a full board without one is a draw. A position's key "
    "lists the six rows from the top, each left to right, joined by '/'."
)

_MOVE_EXAMPLE = """Example (R to move; R has three in a row on the bottom and wins in column 5):
 1 2 3 4 5 6 7
|. . . . . . .|
|. . . . . . .|
|. . . . . . .|
|. . . . . . .|
|. . Y Y . . .|
|Y R R R . . .|
Move: 5"""


def propose_prompt(state: ConnectFourState, memory: Sequence[str]) -> str:
    return board_propose_prompt(_RULES, _MOVE_EXAMPLE, state, memory, noun="column")


def predict_prompt(state: ConnectFourState, memory: Sequence[str]) -> str:
    guess = "column {p} will actually play"
    return board_predict_prompt(_RULES, state, memory, noun="column", guess=guess)


def value_prompt(state: ConnectFourState, player: str, memory: Sequence[str]) -> str:
    scale = (
        f"1 means {player} wins, 0 a draw or an even game, -1 {player} loses; values in "
        "between express advantage or uncertainty."
    )
    return board_value_prompt(_RULES, state, player, memory, scale=scale)
