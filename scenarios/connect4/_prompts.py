"""Prompt text for Connect Four: actor (propose), opponent model (predict), critic (evaluate).

Each prompt shows the board, its key (the name memory facts use), the rules
of the notation, the memory lines, and asks for one labelled line, so the
same parsers read a real model's answer and the simulated one's.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._board import ConnectFourState

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


def memory_block(memory: Sequence[str], heading: str) -> str:
    if not memory:
        return ""
    lines = "\n".join(f"- {line}" for line in memory)
    return f"{heading}\n{lines}\n\n"


def _position(state: ConnectFourState) -> str:
    return f"Position {state.key}:\n{state.render()}\n"


def propose_prompt(state: ConnectFourState, memory: Sequence[str]) -> str:
    facts = memory_block(memory, "What happened in earlier moves and games:")
    return (
        f"{_RULES}\n\n{_MOVE_EXAMPLE}\n\n{facts}{_position(state)}"
        f"You play {state.to_play} and it is your move. Choose one good move; use what you "
        "know about how this opponent plays.\nAnswer with one line: Move: <column>"
    )


def predict_prompt(state: ConnectFourState, memory: Sequence[str]) -> str:
    facts = memory_block(memory, "Moves this opponent made before (the key is the position):")
    opponent = state.to_play
    return (
        f"{_RULES}\n\n{facts}{_position(state)}"
        f"It is {opponent}'s move. Predict the column {opponent} will actually play. If you "
        f"have seen {opponent} in this exact position before, expect the same habit; "
        "otherwise expect a sensible move.\nAnswer with one line: Opponent reply: <column>"
    )


def value_prompt(state: ConnectFourState, player: str, memory: Sequence[str]) -> str:
    facts = memory_block(memory, "What happened in earlier moves and games:")
    return (
        f"{_RULES}\n\n{facts}{_position(state)}{state.result}.\n"
        f"How good is this position for {player}, given how the opponent plays? "
        f"1 means {player} wins, 0 a draw or an even game, -1 {player} loses; values in "
        "between express advantage or uncertainty.\n"
        "Answer with one line: Value: <number from -1 to 1>"
    )
