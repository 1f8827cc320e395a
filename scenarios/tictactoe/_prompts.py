"""Prompt text for tic-tac-toe: actor (propose), opponent model (predict), critic (evaluate).

Each prompt shows the board, its key (the name memory facts use), the rules
of the notation, the memory lines, and asks for one labelled line, so the
same parsers read a real model's answer and the simulated one's.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._board import TicTacToeState

_RULES = (
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


def memory_block(memory: Sequence[str], heading: str) -> str:
    if not memory:
        return ""
    lines = "\n".join(f"- {line}" for line in memory)
    return f"{heading}\n{lines}\n\n"


def _position(state: TicTacToeState) -> str:
    return f"Position {state.key}:\n{state.render()}\n"


def propose_prompt(state: TicTacToeState, memory: Sequence[str]) -> str:
    facts = memory_block(memory, "What happened in earlier moves and games:")
    player = state.to_play
    return (
        f"{_RULES}\n\n{_MOVE_EXAMPLE}\n\n{facts}{_position(state)}"
        f"You play {player} and it is your move. Choose one good move; use what you know "
        "about how this opponent plays.\nAnswer with one line: Move: <cell>"
    )


def predict_prompt(state: TicTacToeState, memory: Sequence[str]) -> str:
    facts = memory_block(memory, "Moves this opponent made before (the key is the position):")
    opponent = state.to_play
    return (
        f"{_RULES}\n\n{facts}{_position(state)}"
        f"It is {opponent}'s move. Predict the move {opponent} will actually make. If you "
        f"have seen {opponent} in this exact position before, expect the same habit; "
        "otherwise expect a sensible move.\nAnswer with one line: Opponent reply: <cell>"
    )


def value_prompt(state: TicTacToeState, player: str, memory: Sequence[str]) -> str:
    facts = memory_block(memory, "What happened in earlier moves and games:")
    return (
        f"{_RULES}\n\n{facts}{_position(state)}{state.result}.\n"
        f"How good is this position for {player}, given how the opponent plays? "
        f"1 means {player} wins, 0 a draw, -1 {player} loses; values in between "
        "express uncertainty.\nAnswer with one line: Value: <number from -1 to 1>"
    )
