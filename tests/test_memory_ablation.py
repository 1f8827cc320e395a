"""RAFA with its memory disabled (``--no-memory``): the ablation of learning,
and what a study bounds a run with: an episode's LLM-call budget
(``BenchmarkConfig.llm_call_budget``) and the first tasks of a selection
(``max_tasks``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import assert_one_line_error, game24_sim as sim, rafa
from test_agents import RecordingLLM, play

from rafa_async.app import AgentOptions, BenchmarkConfig, make_agent, run_benchmark
from rafa_async.scenarios import get_scenario

RUN = ("run", "game24", "--puzzles", "901-905", "--latency-scale", "0", "--no-progress")


def agent(llm: Any, **options: Any) -> Any:
    return make_agent("rafa", AgentOptions(**options), llm, get_scenario("game24"))


@pytest.mark.anyio
async def test_without_memory_rafa_stores_nothing_and_plans_from_an_empty_memory(
    anyio_backend: Any,
) -> None:
    llm = RecordingLLM(sim(wrong_belief_rate=1.0))
    forgetful = agent(llm, memory=False)

    driver, _ = await play(forgetful, max_steps=4)

    assert driver.steps == 4  # it acted and was told why each step failed ...
    assert len(forgetful.memory) == 0  # ... and kept none of it
    assert llm.requests
    assert all(r.intent is not None and r.intent.memory == () for r in llm.requests)


@pytest.mark.anyio
async def test_with_memory_the_same_agent_plans_with_what_it_saw(anyio_backend: Any) -> None:
    llm = RecordingLLM(sim(wrong_belief_rate=1.0))
    learner = agent(llm)

    await play(learner, max_steps=4)

    assert len(learner.memory) > 0
    assert any(r.intent is not None and r.intent.memory for r in llm.requests)


def outcomes(path: Path) -> dict[str, tuple[object, ...]]:
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return {str(r["rank"]): (r["solved"], r["env_steps"], r["llm_calls"]) for r in lines}


def test_no_memory_on_rafa_run_changes_what_rafa_does(tmp_path: Path) -> None:
    kept, forgot = tmp_path / "kept.jsonl", tmp_path / "forgot.jsonl"

    with_memory = rafa(*RUN, "--out", str(kept))
    without = rafa(*RUN, "--no-memory", "--out", str(forgot))

    assert with_memory.exit_code == 0, with_memory.output
    assert without.exit_code == 0, without.output
    assert outcomes(kept).keys() == outcomes(forgot).keys()
    assert outcomes(kept) != outcomes(forgot)


def test_memory_is_on_by_default_and_no_memory_is_said_in_the_help() -> None:
    help_text = rafa("run", "--help").output
    assert "--no-memory" in help_text
    assert rafa(*RUN, "--memory").exit_code == 0


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--agent", "tot", "--no-memory"), ("--memory", "rafa", "not tot")),
        (("--learn", "reflect", "--no-memory"), ("--learn 'reflect' needs --memory",)),
    ],
)
def test_no_memory_where_it_would_change_nothing_is_refused(
    args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    assert_one_line_error(rafa(*RUN, *args), *fragments)


# -- the LLM-call budget -----------------------------------------------------------


@pytest.mark.anyio
async def test_an_episode_stops_at_its_llm_call_budget(anyio_backend: Any) -> None:
    config = BenchmarkConfig(tasks="901-905", llm_call_budget=40, n_generate=5)

    records, summary = await run_benchmark(config, llm=sim(wrong_belief_rate=1.0))

    assert [r.llm_calls for r in records] == [40] * 5
    assert all(r.status == "unsolved" and r.error is None for r in records)
    assert summary.llm_calls == 200


@pytest.mark.anyio
async def test_a_budget_left_unspent_changes_nothing(anyio_backend: Any) -> None:
    free = BenchmarkConfig(tasks="901-903")
    bounded = BenchmarkConfig(tasks="901-903", llm_call_budget=100_000)

    unbounded, _ = await run_benchmark(free, llm=sim())
    budgeted, _ = await run_benchmark(bounded, llm=sim())

    def key(r: Any) -> tuple[Any, ...]:
        return (r.solved, r.env_steps, r.llm_calls)

    assert [key(r) for r in budgeted] == [key(r) for r in unbounded]


@pytest.mark.anyio
async def test_max_tasks_keeps_the_first_tasks_of_the_selection(anyio_backend: Any) -> None:
    config = BenchmarkConfig(tasks="901-910", max_tasks=2, max_steps=1, n_generate=2)

    records, _ = await run_benchmark(config, llm=sim())

    assert [r.task_id for r in records] == ["901", "902"]
