"""The application layer's old import paths keep working: programs written
against rafa_async.experiment, rafa_async.arena and rafa_async.serve get the
same objects rafa_async.app offers now (match logs name no module: they
replay either way)."""

from __future__ import annotations

import pytest

import rafa_async.app.sim_server
from rafa_async import app, arena, experiment, serve


@pytest.mark.parametrize("name", arena.__all__)
def test_arena_names_are_the_apps(name: str) -> None:
    renamed = {"summarize": "summarize_series"}
    assert getattr(arena, name) is getattr(app, renamed.get(name, name))


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("ExperimentConfig", "BenchmarkConfig"),
        ("Summary", "BenchmarkSummary"),
        ("run_experiment", "run_benchmark"),
        ("summarize", "summarize_benchmark"),
        ("build_agent", "build_agent"),
        ("run_task", "run_task"),
    ],
)
def test_experiment_names_are_the_apps(old: str, new: str) -> None:
    assert getattr(experiment, old) is getattr(app, new)


def test_experiment_agents_are_the_agent_kinds() -> None:
    assert (
        experiment.AGENTS
        == tuple(app.AGENT_KINDS)
        == (
            "rafa",
            "tot",
            "tot-trials",
            "tot-matched",
            "reflexion",
            "direct",
        )
    )


@pytest.mark.parametrize(
    "name", ["SIMULATED_HEADER", "SimServer", "make_app", "running_sim_server"]
)
def test_serve_names_are_the_sim_servers(name: str) -> None:
    assert getattr(serve, name) is getattr(rafa_async.app.sim_server, name)
