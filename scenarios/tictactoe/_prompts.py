"""Prompt text for tic-tac-toe: actor (propose), opponent model (predict), critic (evaluate).

Each prompt shows the board, its key (the name memory facts use), the rules
of the notation, the memory lines, and asks for one labelled line, so the
same parsers read a real model's answer and the simulated one's.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._board import board_predict_prompt, board_propose_prompt, board_value_prompt
from ._state import TicTacToeState

RULES = (
    "Tic-tac-toe: X and O take turns placing their mark in an empty cell of a 3x3 grid; "
    "three in a row, column or diagonal wins, a full grid without one is a draw. "
    "Cells are named by column a-c (left to right) and row 1-3 (bottom to top): "
    "a3 is the top-left corner, b2 the centre, c1 the bottom-right corner. "
    "A position's key lists the rows from the top, e.g. O../.X./... has O on a3 and X on b2."
)

_MOVE_EXAMPLE = """Example:
  a b c
3 X O .
2 . X .
1 O . .
X to move.
Move: c1"""


def propose_prompt(state: TicTacToeState, memory: Sequence[str]) -> str:
    return board_propose_prompt(RULES, _MOVE_EXAMPLE, state, memory, noun="cell")


def predict_prompt(state: TicTacToeState, memory: Sequence[str]) -> str:
    guess = "move {p} will actually make"
    return board_predict_prompt(RULES, state, memory, noun="cell", guess=guess)


def value_prompt(state: TicTacToeState, player: str, memory: Sequence[str]) -> str:
    scale = (
        f"1 means {player} wins, 0 a draw, -1 {player} loses; values in between "
        "express uncertainty."
    )
    return board_value_prompt(RULES, state, player, memory, scale=scale)
