"""Prompt text for Nim: actor (propose), opponent model (predict), critic (evaluate).

Each prompt shows the heaps, the position's key (the name memory facts use),
the rules of the notation, the memory lines, and asks for one labelled
line, so the same parsers read a real model's answer and the simulated one's.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._board import board_predict_prompt, board_propose_prompt, board_value_prompt
from ._state import NimState, state_from_key

_RULES = (
    "Nim: A and B take turns; a move takes one or more objects from one heap, and whoever "
    "takes the last object wins (there are no draws). A move is written <heap>:<count>, "
    "heaps numbered from 1: 2:3 takes 3 objects from heap 2. A position's key lists the "
    "heap sizes, then the player to move: 3,4,5/A is heaps of 3, 4 and 5 objects, A to move."
)

_EXAMPLE_POSITION = state_from_key("1,2,2/A")
_MOVE_EXAMPLE = f"""Example:
{_EXAMPLE_POSITION.render()}
A to move.
Move: 1:1"""


def propose_prompt(state: NimState, memory: Sequence[str]) -> str:
    return board_propose_prompt(_RULES, _MOVE_EXAMPLE, state, memory, noun="heap>:<count")


def predict_prompt(state: NimState, memory: Sequence[str]) -> str:
    guess = "move {p} will actually make"
    return board_predict_prompt(_RULES, state, memory, noun="heap>:<count", guess=guess)


def value_prompt(state: NimState, player: str, memory: Sequence[str]) -> str:
    scale = f"1 means {player} wins, -1 {player} loses; values in between express uncertainty."
    return board_value_prompt(_RULES, state, player, memory, scale=scale)
