"""``rafa run blocksworld``: task selection, the record, and every agent, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import assert_one_line_error, rafa

from rafa_async import EventRecorder
from rafa_async.app import AGENT_KINDS, BenchmarkConfig, run_task
from rafa_async.llm import LatencyModel, MiddlewareStack, NoiseModel
from rafa_async.scenarios import get_scenario, simulated_llm

FAST = ["--latency-scale", "0", "--no-progress", "--n-generate", "3", "--n-evaluate", "1"]


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize(("spec", "numbers"), [("step_4:1-2", [1, 2]), ("step_6:1-2", [11, 13])])
def test_rafa_runs_two_instances_of_each_set_and_writes_their_records(
    tmp_path: Path, spec: str, numbers: list[int]
) -> None:
    out = tmp_path / "results.jsonl"

    result = rafa(
        "run", "blocksworld", "--agent", "rafa", "--instances", spec, "--out", str(out), *FAST
    )

    assert result.exit_code == 0, result.output
    assert f"2 (tasks {spec})" in result.stdout and "SIMULATED LLM" in result.stdout
    records = lines(out)
    assert sorted(r["instance"] for r in records) == numbers  # in completion order
    for record in records:
        actions = record["actions"]
        assert isinstance(actions, list) and all(
            isinstance(a, str) and a.startswith("(") and a.endswith(")") for a in actions
        )
        assert record["goal_reached"] == record["solved"]
        assert record["task_set"] == spec.split(":")[0] and record["simulated"] is True
        steps = record["env_steps"]
        assert isinstance(steps, int) and 1 <= steps <= 2 * int(str(record["gold_length"]))
        assert isinstance(record["llm_calls"], int) and record["llm_calls"] >= 1


def test_the_default_tasks_are_the_four_step_set() -> None:
    result = rafa("run", "blocksworld", "--agent", "direct", *FAST)

    assert result.exit_code == 0, result.output
    assert "57 (tasks step_4)" in result.stdout


def budget(agent: str) -> list[str]:
    return ["--call-budget", "30"] if AGENT_KINDS[agent].needs_call_budget else []


@pytest.mark.parametrize("agent", AGENT_KINDS)
def test_every_agent_runs_on_blocksworld(tmp_path: Path, agent: str) -> None:
    out = tmp_path / "results.jsonl"

    result = rafa(
        "run", "blocksworld", "--agent", agent, "--instances", "step_4:3-4", "--out", str(out),
        *budget(agent), *FAST,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert [r["agent"] for r in lines(out)] == [agent, agent]


def test_max_steps_overrides_the_per_task_cap(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"

    result = rafa(
        "run", "blocksworld", "--agent", "reflexion", "--instances", "step_6:5", "--max-steps",
        "1", "--out", str(out), *FAST,
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert lines(out)[0]["env_steps"] == 1


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ["blocksworld", "--puzzles", "901"],
            ("--puzzles does not apply to blocksworld", "--instances"),
        ),
        (
            ["game24", "--instances", "step_4"],
            ("--instances does not apply to game24", "--puzzles"),
        ),
        (["blocksworld", "--instances", "step_5"], ("bad instances 'step_5'", "step_4, step_6")),
        (["blocksworld", "--instances", "step_4:50-60"], ("1 <= N <= M <= 57",)),
        (["nosuch", "--instances", "step_4"], ("unknown scenario 'nosuch'",)),
    ],
)
def test_the_wrong_task_option_or_a_bad_spec_is_one_line_error(
    args: list[str], fragments: tuple[str, ...]
) -> None:
    assert_one_line_error(rafa("run", *args, *FAST), *fragments)


def test_curve_takes_instances_too(tmp_path: Path) -> None:
    result = rafa(
        "curve", "blocksworld", "--agents", "direct", "--instances", "step_4:1", "--seeds", "1",
        "--out", str(tmp_path / "curves"), "--latency-scale", "0", "--no-progress",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert_one_line_error(
        rafa("curve", "blocksworld", "--puzzles", "901", "--out", str(tmp_path / "c2")),
        "--puzzles does not apply to blocksworld",
    )


@pytest.mark.anyio
@pytest.mark.parametrize(("spec", "cap"), [("step_4:1", 8), ("step_6:1", 12)])
async def test_each_task_gets_twice_its_gold_length_in_interactions(
    anyio_backend: Any, spec: str, cap: int
) -> None:
    # Every answer garbled: reflexion submits what it wrote, refused, until the cap.
    noise = NoiseModel.perfect(malformed_rate=1.0)
    config = BenchmarkConfig(
        scenario="blocksworld", agent="reflexion", latency=LatencyModel(scale=0.0)
    )
    llm = MiddlewareStack(simulated_llm(noise=noise, latency=config.latency))
    (task,) = get_scenario("blocksworld").tasks(spec)

    record, _ = await run_task(config, llm, task, EventRecorder())

    assert (record.solved, record.env_steps) == (False, cap)
