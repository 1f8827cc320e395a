"""``rafa run household``: every agent through the command line, and ``--tasks``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from support import assert_one_line_error, rafa

from rafa_async.app import AGENT_KINDS

FAST = ["--latency-scale", "0", "--no-progress"]


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def test_rafa_runs_two_household_tasks_and_records_each(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"

    result = rafa(
        "run", "household", "--agent", "rafa", "--tasks", "pick_and_place-1,look_at_obj_in_light-2",
        *FAST, "--out", str(out),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["task"] for r in records) == ["look_at_obj_in_light-2", "pick_and_place-1"]
    assert all(r["scenario"] == "household" and r["simulated"] for r in records)
    assert {r["task_type"] for r in records} == {"pick_and_place", "look_at_obj_in_light"}
    assert "SIMULATED" in result.stdout and "tasks pick_and_place-1" in result.stdout


@pytest.mark.parametrize("agent", AGENT_KINDS)
def test_every_agent_runs_on_a_household_task(tmp_path: Path, agent: str) -> None:
    out = tmp_path / "results.jsonl"
    budget = ["--call-budget", "200"] if AGENT_KINDS[agent].needs_call_budget else []

    result = rafa(
        "run", "household", "--agent", agent, "--tasks", "pick_heat_then_place-1", *budget, *FAST,
        "--out", str(out),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert (record["agent"], record["task"]) == (agent, "pick_heat_then_place-1")
    assert record["env_steps"] >= 1 and record["llm_calls"] >= 1


def test_the_scenarios_list_names_the_household() -> None:
    result = rafa("scenarios")

    assert result.exit_code == 0 and "household" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ["game24", "--tasks", "pick_and_place"],
            ["--tasks does not apply to game24", "--puzzles"],
        ),
        (["household", "--puzzles", "1-3"], ["--puzzles does not apply to household", "--tasks"]),
        (["household", "--tasks", "pick"], ["bad household task selection 'pick'"]),
        (["household", "--tasks", "1-61"], ["1 <= N <= M <= 60"]),
    ],
)
def test_a_task_selector_of_another_scenario_or_a_bad_one_is_a_one_line_error(
    args: list[str], fragments: list[str]
) -> None:
    assert_one_line_error(rafa("run", *args, *FAST), *fragments)
