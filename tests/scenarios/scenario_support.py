"""Helpers for the scenario tests: play a turn-based game, ask a sim oracle directly."""

from __future__ import annotations

import random
from typing import Any

from rafa_async import Game
from rafa_async.llm import ChatRequest, Intent, NoiseModel, Oracle, SimContext

PERFECT = NoiseModel.perfect()
"""A sim that knows every scenario exactly (no noise)."""


def play(game: Game[Any], *moves: str) -> Any:
    """The state of a turn-based ``game`` after ``moves``, one player to move at a time."""
    state = game.reset(0)
    for move in moves:
        (mover,) = game.to_move(state)
        state = game.step(state, {mover: move}).state
    return state


def ask(oracle: Oracle, request: ChatRequest, noise: NoiseModel = PERFECT, seed: int = 0) -> str:
    """``oracle``'s answer to a world model's request (its sample seeds the draw)."""
    intent = request.intent
    assert intent is not None, "a world model's request carries an intent"
    return oracle.respond(SimContext(intent, noise, seed, random.Random(intent.sample)))


def context(
    kind: Any,
    scenario: str,
    state: str,
    *,
    detail: str = "",
    memory: tuple[str, ...] = (),
    noise: NoiseModel = PERFECT,
) -> SimContext:
    """A hand-made intent for an oracle (to test what no world model would ask)."""
    intent = Intent(kind=kind, scenario=scenario, state=state, memory=memory, detail=detail)
    return SimContext(intent, noise, 0, random.Random(0))
