"""Helpers shared by test modules (pytest puts tests/ on sys.path)."""

from __future__ import annotations

from rafa_async.llm import LatencyModel, NoiseModel, SimLLM
from rafa_async.scenarios.game24 import Game24Oracle

CALL_SECONDS = 1.0
"""Simulated latency of every call of :func:`game24_sim`."""


def game24_sim(**overrides: float) -> SimLLM:
    """A Game of 24 sim that knows the game exactly, unless ``overrides`` say
    otherwise; every call takes exactly :data:`CALL_SECONDS`."""
    return SimLLM(
        {"game24": Game24Oracle()},
        seed=0,
        noise=NoiseModel.perfect(**overrides),
        latency=LatencyModel.fixed(CALL_SECONDS),
    )
