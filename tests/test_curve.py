"""Sample-efficiency curves (``rafa curve``, :func:`rafa_async.app.run_curves`)
and the compute-matched ToT they compare RAFA with."""

from __future__ import annotations

import csv
import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
from support import assert_one_line_error, rafa, serving

from rafa_async import ConfigError, EpisodeDriver
from rafa_async.agents import ComputeMatchedToT
from rafa_async.app import (
    CURVE_COLUMNS,
    AgentCurve,
    BenchmarkConfig,
    CurveConfig,
    agent_curve,
    can_plot,
    curve_points,
    run_benchmark,
    run_curves,
    wilson,
)
from rafa_async.app._curve_files import plot_title
from rafa_async.llm import SIM_LABEL
from rafa_async.planners import Plan
from rafa_async.planners._base import PlanStats
from rafa_async.scenarios import get_scenario
from rafa_async.scenarios.game24 import Game24Env, Game24Record, Game24State

TASKS = "901-903"
CAP = 6
SMALL = 4
"""Proposals per node in the runs here: a smaller search, a faster suite."""


def record(
    *, solved: bool, calls: Sequence[int], accepted: Sequence[bool], total: int | None = None
) -> Game24Record:
    """A finished episode's record with these per-interaction calls and verdicts."""
    return Game24Record(
        scenario="game24",
        agent="rafa",
        solved=solved,
        env_steps=len(calls),
        llm_calls=total if total is not None else (calls[-1] if calls else 0),
        failed_calls=0,
        tokens=0,
        wall_s=0.0,
        simulated=True,
        step_calls=list(calls),
        step_accepted=list(accepted),
        rank=901,
        numbers=[1, 2, 3, 4],
        expression=None,
    )


def assert_a_curve(curve: AgentCurve, cap: int) -> None:
    """Monotone non-decreasing, bounded by the cap, bands around the point."""
    points = curve.points
    assert [p.interactions for p in points] == list(range(1, cap + 1))
    for before, after in itertools.pairwise(points):
        assert before.success <= after.success
        assert before.llm_calls <= after.llm_calls
    for p in points:
        assert 0.0 <= p.ci_low <= p.success <= p.ci_high <= 1.0
    solved = curve.solved / curve.episodes
    if curve.counting == "ours":
        assert points[-1].success == pytest.approx(solved)
    else:  # the official counting leaves out a solution plotted past the cap
        assert points[-1].success <= solved


# -- the curve of a set of records ----------------------------------------------------


def test_success_within_k_counts_each_episode_from_the_interaction_that_solved_it() -> None:
    records = [
        record(solved=True, calls=[10, 20, 30], accepted=[True, True, True]),
        record(solved=True, calls=[10, 20, 30, 40, 50], accepted=[True, False, True, True, True]),
        record(solved=False, calls=[5, 6], accepted=[False, False], total=9),
    ]

    points = curve_points(records, cap=6)

    assert [p.success for p in points] == [0, 0, 1 / 3, 1 / 3, 2 / 3, 2 / 3]
    # Calls spent by k: an episode that ended before k counts all its calls.
    assert [p.llm_calls for p in points] == [
        pytest.approx(v) for v in [25 / 3, 46 / 3, 69 / 3, 79 / 3, 89 / 3, 89 / 3]
    ]


def test_the_official_counting_is_submissions_plus_three() -> None:
    # RAFA_code's get_data.py plots an episode at len(env_info) + 3, one env.step
    # per submitted plan; a submission ends at a rejected step or the solution.
    clean = record(solved=True, calls=[10, 20, 30], accepted=[True, True, True])
    one_rejection = record(
        solved=True, calls=[10, 20, 30, 40, 50], accepted=[True, False, True, True, True]
    )

    points = curve_points([clean, one_rejection], cap=6, counting="official")

    assert [p.success for p in points] == [0, 0, 0, 0.5, 1.0, 1.0]
    # No submission before k = 4; then the calls at the end of each submission.
    assert [p.llm_calls for p in points] == [0, 0, 0, (30 + 20) / 2, (30 + 50) / 2, 40]


def test_a_solution_past_the_cap_is_not_on_the_curve() -> None:
    late = record(solved=True, calls=list(range(1, 11)), accepted=[False] * 9 + [True])
    assert [p.success for p in curve_points([late], cap=5)] == [0.0] * 5
    assert curve_points([late], cap=5, counting="official")[-1].success == 0.0


def test_the_band_is_the_wilson_score_interval() -> None:
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(0, 20) == pytest.approx((0.0, 0.1611), abs=1e-4)
    assert wilson(20, 20) == pytest.approx((0.8389, 1.0), abs=1e-4)


def test_an_old_out_line_decodes_and_its_curve_says_what_it_lacks() -> None:
    new = record(solved=True, calls=[1, 2, 3], accepted=[True] * 3)
    line = {
        k: v
        for k, v in msgspec.to_builtins(new).items()
        if k not in ("step_calls", "step_accepted")
    }

    old = msgspec.json.decode(json.dumps(line), type=Game24Record)

    assert (old.step_calls, old.step_accepted) == (None, None)
    with pytest.raises(ConfigError, match="task 901 has no per-interaction LLM calls"):
        curve_points([old], cap=3)


def test_a_curve_names_its_provider_and_a_real_one_is_not_called_simulated() -> None:
    config = CurveConfig(seeds=1, run=BenchmarkConfig(provider="openai:gpt-4o-mini", max_steps=3))
    real = msgspec.structs.replace(
        record(solved=True, calls=[1, 2, 3], accepted=[True] * 3), simulated=False
    )

    curve = agent_curve(config, "rafa", [real], None)

    assert (curve.provider, curve.simulated) == ("openai:gpt-4o-mini", False)
    assert "SIMULATED" not in plot_title([curve])
    sim = agent_curve(CurveConfig(seeds=1, run=BenchmarkConfig(max_steps=3)), "rafa", [real], None)
    assert (sim.provider, sim.simulated) == (SIM_LABEL, True)
    assert "SIMULATED LLM" in plot_title([sim])


# -- curves of runs --------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("counting", ["ours", "official"])
async def test_every_agent_s_curve_is_monotone_and_bounded_by_the_cap(
    anyio_backend: Any, counting: Any
) -> None:
    config = CurveConfig(
        agents=("rafa", "tot", "reflexion", "tot-matched"),
        seeds=2,
        counting=counting,
        run=BenchmarkConfig(tasks=TASKS, max_steps=CAP, n_generate=SMALL),
    )

    curves = await run_curves(config)

    assert [c.agent for c in curves] == list(config.agents)
    for curve in curves:
        assert (curve.episodes, curve.seeds, curve.counting) == (6, [0, 1], counting)
        assert curve.simulated and curve.provider == SIM_LABEL
        assert_a_curve(curve, CAP)
    rafa_curve, matched = curves[0], curves[3]
    # tot-matched's default budget is RAFA's mean calls per task in the same run.
    assert matched.parameters["call_budget"] == rafa_curve.llm_calls_per_episode


@pytest.mark.anyio
async def test_compute_matched_tot_spends_about_the_budget_it_is_given(
    anyio_backend: Any,
) -> None:
    tot, _ = await run_benchmark(BenchmarkConfig(agent="tot", tasks="901-906", n_generate=SMALL))
    search = sum(r.llm_calls for r in tot) / len(tot)
    budget = 4 * search

    matched, summary = await run_benchmark(
        BenchmarkConfig(agent="tot-matched", tasks="901-906", call_budget=budget, n_generate=SMALL)
    )

    # Whole searches, stopped at the nearest: within about half a search of the budget.
    assert summary.llm_calls_per_episode == pytest.approx(budget, rel=0.15)
    assert all(abs(r.llm_calls - budget) <= 0.75 * search for r in matched)


@dataclass(frozen=True)
class Step:
    action: str
    predicted: Game24State


class Scripted:
    """A planner returning these plans in turn, each costing ``calls`` LLM calls."""

    def __init__(self, values: Sequence[float], calls: int) -> None:
        self.values = list(values)
        self.calls = calls
        self.salts: list[int] = []

    async def plan(self, state: Game24State, memory: Sequence[str], *, salt: int = 0) -> Plan[Any]:
        self.salts.append(salt)
        value = self.values[len(self.salts) - 1]
        step = Step(action=f"plan valued {value}", predicted=state)
        return Plan((step,), value, stats=PlanStats(llm_calls=self.calls))


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("budget", "searches", "acted"),
    [(30, 3, "plan valued 0.9"), (34, 3, "plan valued 0.9"), (5, 1, "plan valued 0.1")],
)
async def test_compute_matched_tot_runs_the_best_valued_of_its_searches(
    anyio_backend: Any, budget: float, searches: int, acted: str
) -> None:
    planner = Scripted([0.1, 0.9, 0.5, 0.2], calls=10)
    world = get_scenario("game24").world()
    agent = ComputeMatchedToT(planner, world, call_budget=budget)
    driver = EpisodeDriver(Game24Env([4, 9, 10, 13]), episode="e", max_steps=20)

    await agent.run(driver)

    # Fresh samples each search; as many searches as the budget buys, to the nearest.
    assert planner.salts == list(range(searches))
    assert agent.calls_spent == 10 * searches
    assert [action for action, _ in driver.history] == [acted]


# -- rafa curve ------------------------------------------------------------------------


def curve_cli(out: Path, *extra: str) -> Any:
    return rafa(
        "curve", "game24", "--puzzles", TASKS, "--seeds", "2", "--cap", str(CAP),
        "--latency-scale", "0", "--n-generate", str(SMALL), "--out", str(out), "--no-progress",
        *extra,
    )  # fmt: skip


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_rafa_curve_writes_a_csv_and_a_json_per_agent_and_a_png(
    tmp_path: Path, backend: str
) -> None:
    out = tmp_path / "curves"

    result = curve_cli(out, "--agents", "rafa,tot,tot-matched", "--backend", backend)

    assert result.exit_code == 0, result.output
    assert SIM_LABEL in result.stdout and "SIMULATED LLM" in result.stdout
    assert "counting: ours" in result.stdout
    for agent in ("rafa", "tot", "tot-matched"):
        with (out / f"{agent}.csv").open() as file:
            rows = list(csv.reader(file))
        assert tuple(rows[0]) == CURVE_COLUMNS == (
            "interactions", "success", "ci_low", "ci_high", "llm_calls"
        )  # fmt: skip
        assert [int(row[0]) for row in rows[1:]] == list(range(1, CAP + 1))
        summary = json.loads((out / f"{agent}.json").read_text())
        curve = msgspec.convert(summary, AgentCurve)
        assert_a_curve(curve, CAP)
        assert [float(row[1]) for row in rows[1:]] == [
            pytest.approx(p.success, abs=1e-5) for p in curve.points
        ]
        assert summary["provider"] == SIM_LABEL and summary["simulated"] is True
        assert summary["seeds"] == [0, 1] and summary["counting"] == "ours"
        assert {"n_generate", "n_evaluate", "beam"} <= set(summary["parameters"])
    assert json.loads((out / "tot-matched.json").read_text())["parameters"]["call_budget"] > 0
    if not can_plot():
        pytest.skip("matplotlib (the plot extra) is not installed")
    assert (out / "curves.png").read_bytes().startswith(b"\x89PNG")


def test_without_matplotlib_rafa_curve_writes_the_tables_and_says_the_png_needs_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed

    result = curve_cli(tmp_path, "--agents", "tot")

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tot.csv", "tot.json"]
    notes = [line for line in result.stdout.splitlines() if "PNG" in line]
    assert len(notes) == 1 and "plot extra" in notes[0]


def test_rafa_curve_says_and_records_the_official_counting(tmp_path: Path) -> None:
    result = curve_cli(tmp_path, "--agents", "rafa", "--counting", "official")

    assert result.exit_code == 0, result.output
    assert "counting: official" in result.stdout
    assert json.loads((tmp_path / "rafa.json").read_text())["counting"] == "official"


def test_rafa_curve_overwrites_a_non_empty_out_only_with_force(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")

    assert_one_line_error(curve_cli(tmp_path, "--agents", "tot"), "is not empty", "--force")
    assert curve_cli(tmp_path, "--agents", "tot", "--force").exit_code == 0
    assert (tmp_path / "tot.csv").exists() and (tmp_path / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--agents", "rafa,alphago"], ["unknown agent 'alphago'", "tot-matched"]),
        (["--agents", "rafa,,tot"], ["--agents must be a comma-separated list"]),
        (["--agents", "tot,tot"], ["--agents names tot twice"]),
        (["--agents", "tot", "--seeds", "0"], ["--seeds must be >= 1"]),
        (["--agents", "tot", "--cap", "0"], ["--cap must be >= 1"]),
        (["--agents", "tot-matched"], ["tot-matched needs a call budget", "--call-budget"]),
        (["--agents", "tot-matched", "--call-budget", "0"], ["--call-budget must be > 0"]),
        (["--agents", "tot", "--counting", "paper"], ["--counting", "paper"]),
        (["--agents", "tot", "--puzzles", "0-5"], ["bad puzzle range"]),
    ],
)
def test_rafa_curve_refuses_bad_input_in_one_line(
    tmp_path: Path, args: list[str], fragments: list[str]
) -> None:
    out = tmp_path / "curves"
    result = rafa("curve", "game24", "--out", str(out), *args)

    assert_one_line_error(result, *fragments)
    assert not out.exists()


def test_rafa_curve_refuses_an_out_that_is_a_file(tmp_path: Path) -> None:
    file = tmp_path / "curves.csv"
    file.write_text("")
    assert_one_line_error(rafa("curve", "game24", "--out", str(file)), "is a file")


def test_rafa_run_takes_the_compute_matched_tot_with_a_call_budget() -> None:
    assert_one_line_error(
        rafa("run", "game24", "--agent", "tot-matched", "--puzzles", "901"),
        "tot-matched needs --call-budget",
    )
    result = rafa(
        "run", "game24", "--agent", "tot-matched", "--puzzles", "901", "--call-budget", "150",
        "--latency-scale", "0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_rafa_curve_on_an_http_provider_names_it_and_says_its_answers_were_simulated(
    tmp_path: Path,
) -> None:
    with serving("--latency-scale", "0") as server:
        result = rafa(
            "curve", "game24", "--agents", "tot", "--puzzles", "901-902", "--seeds", "1",
            "--cap", "4", "--n-generate", str(SMALL), "--provider", "openai:sim",
            "--base-url", server.base_url, "--send-intent", "--out", str(tmp_path),
            "--no-progress",
        )  # fmt: skip

    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "tot.json").read_text())
    assert (summary["provider"], summary["simulated"]) == ("openai:sim", True)
    assert "SIMULATED LLM" in result.stdout and "LLM openai:sim" in result.stdout
