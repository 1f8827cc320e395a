"""Prompt text every board game shares: the actor's, the opponent model's, the critic's."""

from __future__ import annotations

from collections.abc import Sequence

from .._prompting import memory_block
from ._state import BoardState

_EARLIER = "What happened in earlier moves and games:"
_OPPONENT_BEFORE = "Moves this opponent made before (the key is the position):"


def position_block(state: BoardState) -> str:
    return f"Position {state.key}:\n{state.render()}\n"


def board_propose_prompt(
    rules: str, example: str, state: BoardState, memory: Sequence[str], *, noun: str
) -> str:
    """The actor's prompt: answer ``Move: <noun>`` for the player to move."""
    facts = memory_block(memory, _EARLIER)
    return (
        f"{rules}\n\n{example}\n\n{facts}{position_block(state)}"
        f"You play {state.to_play} and it is your move. Choose one good move; use what you "
        f"know about how this opponent plays.\nAnswer with one line: Move: <{noun}>"
    )


def board_predict_prompt(
    rules: str, state: BoardState, memory: Sequence[str], *, noun: str, guess: str
) -> str:
    """The opponent model's prompt: ``guess`` what the player to move will do
    (``"move {p} will actually make"``); answer ``Opponent reply: <noun>``."""
    facts = memory_block(memory, _OPPONENT_BEFORE)
    opponent = state.to_play
    return (
        f"{rules}\n\n{facts}{position_block(state)}"
        f"It is {opponent}'s move. Predict the {guess.format(p=opponent)}. If you "
        f"have seen {opponent} in this exact position before, expect the same habit; "
        f"otherwise expect a sensible move.\nAnswer with one line: Opponent reply: <{noun}>"
    )


def board_value_prompt(
    rules: str, state: BoardState, player: str, memory: Sequence[str], *, scale: str
) -> str:
    """The critic's prompt: ``state``'s value to ``player``, ``scale`` saying what
    the numbers from -1 to 1 mean."""
    facts = memory_block(memory, _EARLIER)
    return (
        f"{rules}\n\n{facts}{position_block(state)}{state.result}.\n"
        f"How good is this position for {player}, given how the opponent plays? {scale}\n"
        "Answer with one line: Value: <number from -1 to 1>"
    )
