"""Results recorded before a refactor must not change after it.

``tests/golden/`` holds a short match log of every game (a training match and
two evaluation matches, seed 3, the default seats) and the outcomes of every
agent on four Game of 24 puzzles, all on the simulated LLM, recorded once
with an earlier version of the code.  A refactor must leave them exact: the
logs replay to the same digests, the puzzles to the same outcomes.  Only a
change meant to alter results may re-record them, and must say so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rafa_async.arena import replay_log
from rafa_async.experiment import ExperimentConfig, run_experiment
from rafa_async.llm import LatencyModel
from rafa_async.scenarios import GAMES

GOLDEN = Path(__file__).parent / "golden"
FIELDS = ("agent", "rank", "solved", "expression", "env_steps", "llm_calls", "tokens")


LOGGED = sorted(p.name.removesuffix(".log.jsonl") for p in GOLDEN.glob("*.log.jsonl"))


def test_the_golden_logs_are_of_registered_games() -> None:
    # Every game that existed when they were recorded has one; a game added
    # since needs none (its contract tests replay its own logs).
    assert {"tictactoe", "connect4", "ipd", "gridworld"} <= set(LOGGED) <= set(GAMES)


@pytest.mark.anyio
@pytest.mark.parametrize("game", LOGGED)
async def test_a_log_recorded_before_replays_identically(anyio_backend: Any, game: str) -> None:
    checks = await replay_log(GOLDEN / f"{game}.log.jsonl")

    assert len(checks) == 3
    assert [c.status for c in checks] == ["identical"] * 3


@pytest.mark.anyio
@pytest.mark.parametrize("agent", ["rafa", "tot", "reflexion", "direct"])
async def test_game24_outcomes_are_the_recorded_ones(anyio_backend: Any, agent: str) -> None:
    recorded = [
        row
        for row in json.loads((GOLDEN / "game24_outcomes.json").read_text())
        if row["agent"] == agent
    ]
    config = ExperimentConfig(agent=agent, tasks="901-904", latency=LatencyModel(scale=0.0))

    records, _ = await run_experiment(config)

    assert [{k: getattr(r, k) for k in FIELDS} for r in records] == recorded
