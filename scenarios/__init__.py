"""Scenarios: environments, prompts, parsers and oracles, registered by name.

``SCENARIOS``: single-agent benchmarks for ``rafa run`` (Game of 24, the
household), each a
:class:`Benchmark`.  ``GAMES``: shared-match games for ``rafa play``
(Tic-Tac-Toe, Connect Four, ...), each built as a :class:`GameSpec` by
:func:`get_game`.  The protocols a scenario's world model implements
(:class:`WorldModel`, :class:`GameModel`, ...) are defined here, below the
planners and agents that use them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rafa_async._errors import ConfigError
from rafa_async.llm import FaultModel, LatencyModel, NoiseModel, Oracle, SimLLM
from rafa_async.scenarios._attempts import check_lines
from rafa_async.scenarios._benchmark import (
    Benchmark,
    BenchmarkWorld,
    Task,
    TaskRecord,
    TaskStatus,
)
from rafa_async.scenarios._games import GAMES, GameSpec, SeatPolicy, get_game
from rafa_async.scenarios._world_models import (
    ActorModel,
    AttemptModel,
    GameModel,
    Proposal,
    WorldModel,
)
from rafa_async.scenarios.blocksworld import BlocksWorldBenchmark
from rafa_async.scenarios.game24 import Game24Benchmark
from rafa_async.scenarios.household import HouseholdBenchmark

SCENARIOS: Mapping[str, Benchmark[Any, Any]] = {
    "game24": Game24Benchmark(),
    "blocksworld": BlocksWorldBenchmark(),
    "household": HouseholdBenchmark(),
}
"""Every benchmark scenario ``rafa run`` knows, by name."""


def get_scenario(name: str) -> Benchmark[Any, Any]:
    """The scenario called ``name``; :class:`ConfigError` listing the known ones if none."""
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(sorted(SCENARIOS))
        raise ConfigError(f"unknown scenario {name!r} (known: {known})") from None


def simulated_llm(
    *,
    seed: int = 0,
    noise: NoiseModel | None = None,
    latency: LatencyModel | None = None,
    faults: FaultModel | None = None,
) -> SimLLM:
    """The simulated LLM with an oracle for every scenario and game."""
    return SimLLM(all_oracles(), seed=seed, noise=noise, latency=latency, faults=faults)


def all_oracles() -> dict[str, Oracle]:
    """One sim oracle per scenario and game, keyed by scenario name."""
    oracles: dict[str, Oracle] = {name: spec.oracle() for name, spec in SCENARIOS.items()}
    for name in GAMES:
        oracles[name] = get_game(name).oracle()
    return oracles


__all__ = [
    "GAMES",
    "SCENARIOS",
    "ActorModel",
    "AttemptModel",
    "Benchmark",
    "BenchmarkWorld",
    "GameModel",
    "GameSpec",
    "Proposal",
    "SeatPolicy",
    "Task",
    "TaskRecord",
    "TaskStatus",
    "WorldModel",
    "all_oracles",
    "check_lines",
    "get_game",
    "get_scenario",
    "simulated_llm",
]
