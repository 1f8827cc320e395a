"""``rafa study paper``: the paper's protocol end to end on a tiny
configuration, its labels, what this build cannot run, and the cost
confirmation on a real provider (a fake one on loopback)."""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.from_thread
import msgspec
import pytest
from click.testing import Result
from fake_providers import FAKE_KEY, FakeOpenAI
from http_server import serve
from support import assert_one_line_error, closed_port, rafa
from typer.testing import CliRunner

from rafa_async.app import (
    JOURNAL_FILE,
    NOT_RESULTS,
    PAPER,
    BenchmarkPart,
    LearningContext,
    LearningPart,
    PartResult,
    StudyAgent,
    StudyCell,
    StudyDone,
    StudyJournal,
    StudyLearningCurve,
    StudyLearningPoint,
    StudyPlan,
    StudyResults,
    StudyRun,
    StudySpec,
    estimate_cost,
    open_llm,
    plan_study,
    read_journal,
    run_study,
    settings,
    write_study,
)
from rafa_async.app._study_plots import curves_figure, learning_figure, success_figure
from rafa_async.app._study_report import cell_text
from rafa_async.app._study_ttt import study_config
from rafa_async.cli import app
from rafa_async.llm import SIM_LABEL, LatencyModel, MiddlewareStack, ProviderSettings
from rafa_async.scenarios import SCENARIOS, TaskRecord, simulated_llm

TINY = (
    "study", "paper", "--provider", "sim", "--quick", "--seeds", "1", "--latency-scale", "0",
    "--no-progress",
)  # fmt: skip
SIM_FIGURE = "LLM: sim · SIMULATED LLM (not a language model)"
QUICK_CALLS = sum(line.max_calls for line in plan_study(PAPER, seeds=1, quick=True).cost_lines())
"""The --quick --seeds 1 study's estimate: each benchmark column's bound
(tasks x budget) and the tic-tac-toe curve's 8 games x 230 calls."""


def results_of(out: Path) -> StudyResults:
    return msgspec.json.decode((out / "results.json").read_bytes(), type=StudyResults)


@pytest.fixture(scope="module")
def studies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Result, Path]]:
    """The tiny study on each backend, run once for the module."""
    runs = {}
    for backend, force in (("trio", ()), ("asyncio", ("--force",))):
        out = tmp_path_factory.mktemp(backend) / "study"
        if force:  # a directory with a file in it: --force writes there anyway
            out.mkdir()
            (out / "old.txt").write_text("old")
        runs[backend] = rafa(*TINY, "--backend", backend, *force, "--out", str(out)), out
    return runs


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_the_study_runs_end_to_end_on_a_tiny_configuration(
    studies: dict[str, tuple[Result, Path]], backend: str
) -> None:
    result, out = studies[backend]

    assert result.exit_code == 0, result.output
    for name in ("report.md", "report.html", "results.json", "success.png"):
        assert (out / name).is_file(), name
    results = results_of(out)
    assert results.quick and results.seeds == 1
    (game24,) = [p for p in results.parts if p.scenario == "game24"]
    columns = [cell.column for cell in game24.cells]
    assert columns == [agent.column for agent in PAPER.benchmarks[0].agents]
    assert all(cell.episodes == 3 for cell in game24.cells)  # --quick: three puzzles
    assert [len(curve.points) for curve in game24.curves] == [game24.cap] * len(columns)
    (ablation,) = [a for a in results.ablations if a.row == game24.row]
    assert (ablation.with_memory.column, ablation.without_memory.column) == (
        "RAFA",
        "RAFA (no memory)",
    )
    assert "Game of 24" in result.stdout and "memory ablation" in result.stdout


def test_the_same_seed_gives_the_same_study_on_either_backend(
    studies: dict[str, tuple[Result, Path]],
) -> None:
    trio, asyncio = (results_of(studies[b][1]) for b in ("trio", "asyncio"))
    assert [_outcomes(p) for p in trio.parts] == [_outcomes(p) for p in asyncio.parts]
    assert trio.llm_calls == asyncio.llm_calls > 0
    # Where no budget was reached, every call was the same call: so were the tokens.
    for a, b in zip(trio.parts, asyncio.parts, strict=True):
        for x, y in zip(a.cells, b.cells, strict=True):
            assert x.tokens == y.tokens or x.budget_spent > 0, (a.row, x.column)


def _outcomes(part: PartResult) -> PartResult:
    """``part`` without its cells' tokens.  When an episode reaches its call
    budget, which of its concurrent calls were admitted before the cut
    depends on scheduling, so its tokens may differ; what happened may not."""
    cells = [msgspec.structs.replace(c, tokens=0) for c in part.cells]
    return msgspec.structs.replace(part, cells=cells)


def test_every_part_of_the_paper_is_in_this_build(
    studies: dict[str, tuple[Result, Path]],
) -> None:
    _, out = studies["trio"]
    results = results_of(out)
    assert results.unavailable == []
    assert {p.row for p in results.parts} == {part.row for part in PAPER.benchmarks}
    assert all(part.scenario in SCENARIOS for part in PAPER.benchmarks)
    assert [c.part for c in results.learning] == [PAPER.learning[0].title]
    assert "## Not available in this build" not in (out / "report.md").read_text()


@pytest.mark.anyio
async def test_parts_this_build_lacks_are_listed_with_why_and_not_run(
    anyio_backend: Any, tmp_path: Path
) -> None:
    nowhere = msgspec.structs.replace(
        GAME24, row="Nowhere", scenario="nowhere", needs="the nowhere benchmark"
    )
    part = msgspec.structs.replace(GAME24, agents=GAME24.agents[:1], ablation=None)
    plan = plan_study(StudySpec(name="t", benchmarks=(part, nowhere)), seeds=1, quick=True)
    async with MiddlewareStack(simulated_llm(latency=LatencyModel(scale=0))) as llm:
        results = await run_study(plan, llm)
    files = write_study(results, tmp_path)

    (missing,) = results.unavailable
    assert missing.part == "Nowhere" and "the nowhere benchmark" in missing.reason
    assert [p.row for p in results.parts] == [part.row]
    report = files.markdown.read_text().replace("\\|", "|")
    assert "## Not available in this build" in report
    assert f"| Nowhere | (all) | {missing.reason} |" in report


def test_every_section_and_figure_names_the_sim_and_says_it_is_not_a_language_model(
    studies: dict[str, tuple[Result, Path]],
) -> None:
    result, out = studies["trio"]
    results = results_of(out)
    assert results.simulated and results.provider == SIM_LABEL
    report = (out / "report.md").read_text()
    assert "not a language model" in report.split("## ")[0]  # the lead says it
    for section in report.split("\n## ")[1:]:
        if "![" in section:  # every figure's section names its LLM
            assert SIM_FIGURE in section, section[:80]
    figures = [success_figure(results)]
    figures += [curves_figure(p, results.provider, results.simulated) for p in results.parts]
    for figure in figures:
        assert SIM_FIGURE in figure.axes[0].get_title()
    assert "SIMULATED LLM" in result.stdout
    assert "not a language model" in (out / "report.html").read_text()


def test_a_real_providers_figures_name_it_and_not_the_sim(
    studies: dict[str, tuple[Result, Path]],
) -> None:
    results = results_of(studies["trio"][1])
    real = msgspec.structs.replace(results, provider="openai:gpt-test", simulated=False)
    title = success_figure(real).axes[0].get_title()
    assert "LLM: openai:gpt-test" in title and "SIMULATED" not in title


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--seeds", "0"), "--seeds must be a number >= 1"),
        (("--concurrency", "0"), "--concurrency"),
    ],
)
def test_bad_study_options_are_one_line_errors(args: tuple[str, ...], fragment: str) -> None:
    assert_one_line_error(rafa(*TINY, *args), fragment)


def test_a_non_empty_out_directory_is_refused_without_force(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert_one_line_error(rafa(*TINY, "--out", str(tmp_path)), "--force")


# -- what the build cannot run ----------------------------------------------------

GAME24 = PAPER.benchmarks[0]


def test_a_column_needing_a_setting_this_build_lacks_is_listed_not_run() -> None:
    warp = StudyAgent(column="RAFA (warp)", agent="rafa", settings={"warp_drive": True})
    ghost = StudyAgent(column="Ghost", agent="ghost")
    part = msgspec.structs.replace(GAME24, agents=(GAME24.agents[0], warp, ghost), ablation=None)
    missing = BenchmarkPart(row="Chess", scenario="chess", agents=(warp,), llm_call_budget=9)
    spec = StudySpec(name="t", benchmarks=(part, missing))

    plan = plan_study(spec, seeds=2, quick=True)

    assert [(r.column, r.seed) for r in plan.runs] == [("RAFA", 0), ("RAFA", 1)]
    reasons = {(u.part, u.column): u.reason for u in plan.unavailable}
    assert "no setting 'warp_drive'" in reasons["Game of 24", "RAFA (warp)"]
    assert "agent kind 'ghost' is not in this build" in reasons["Game of 24", "Ghost"]
    assert "benchmark 'chess' is not in this build" in reasons["Chess", None]


def test_a_declaration_that_is_wrong_is_an_error() -> None:
    twice = msgspec.structs.replace(GAME24, agents=(GAME24.agents[0], GAME24.agents[0]))
    with pytest.raises(ValueError, match="distinct columns"):
        plan_study(StudySpec(name="t", benchmarks=(twice,)))


# -- learning protocols plug in as one entry ----------------------------------------


async def _fake_protocol(part: LearningPart, context: LearningContext) -> list[StudyLearningCurve]:
    return [
        StudyLearningCurve(
            part=part.title,
            label=f"B={b}",
            provider=context.provider,
            simulated=context.simulated,
            seeds=list(range(context.seeds)),
            points=[
                StudyLearningPoint(episodes=k, score=0.1 * k * b / 5, ci_low=-0.5, ci_high=0.9)
                for k in range(3)
            ],
        )
        for b in (3, 4)
    ]


@pytest.mark.anyio
async def test_a_learning_protocol_in_the_build_is_run_and_reported(
    anyio_backend: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("rafa_async.app._study.LEARNING_RUNNERS", {"toy": _fake_protocol})
    toy = LearningPart(name="toy", title="Toy learning curves")
    part = msgspec.structs.replace(GAME24, agents=GAME24.agents[:1], ablation=None)
    spec = StudySpec(name="t", benchmarks=(part,), learning=(toy,), seeds=1)

    plan = plan_study(spec, quick=True)
    async with open_llm() as llm:
        results = await run_study(plan, llm)
    files = write_study(results, tmp_path)

    assert [c.label for c in results.learning] == ["B=3", "B=4"]
    assert all(c.simulated and c.provider == SIM_LABEL for c in results.learning)
    report = files.markdown.read_text()
    assert "## Toy learning curves" in report and "learning.png" in report
    assert SIM_FIGURE in learning_figure(results.learning).axes[0].get_title()


def test_a_learning_protocol_not_in_the_build_is_listed(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = StudySpec(name="t", benchmarks=(), learning=(PAPER.learning[0],))
    assert plan_study(spec).unavailable == []  # the tic-tac-toe protocol is in this build
    monkeypatch.setattr("rafa_async.app._study.LEARNING_RUNNERS", {})
    (missing,) = plan_study(spec).unavailable
    assert "run_ttt_protocol" in missing.reason


def test_the_tictactoe_part_declares_the_games_its_protocol_plays() -> None:
    part = PAPER.learning[0]
    assert part.name == "tictactoe"
    for quick, declared in ((False, part.games_per_seed), (True, part.quick_games_per_seed)):
        assert study_config(3, quick=quick).games == 3 * declared


def test_a_learning_part_is_in_the_cost_estimate_as_an_estimate_not_a_bound() -> None:
    settings = ProviderSettings(provider="openai", kind="openai", model="gpt-4o-mini")
    spec = StudySpec(name="t", benchmarks=(GAME24,), learning=(PAPER.learning[0],))
    plan = plan_study(spec, seeds=2, quick=True)
    estimate = estimate_cost(plan.cost_lines(), settings, "openai:gpt-4o-mini")

    learning = [line for line in estimate.lines if not line.bound]
    assert [line.row for line in learning] == [PAPER.learning[0].title]
    assert learning[0].episodes == 2 * PAPER.learning[0].quick_games_per_seed
    assert learning[0].max_calls == learning[0].episodes * PAPER.learning[0].calls_per_game
    assert "about" in estimate.summary() and "not bounded" in estimate.summary()


# -- the cost estimate and its confirmation ----------------------------------------


def test_the_estimate_is_calls_times_tokens_times_price() -> None:
    settings = ProviderSettings(provider="openai", kind="openai", model="gpt-4o-mini")
    plan = plan_study(StudySpec(name="t", benchmarks=(GAME24,)), seeds=2, quick=True)

    estimate = estimate_cost(plan.cost_lines(), settings, "openai:gpt-4o-mini")

    calls = 5 * 2 * 3 * 300  # agents x seeds x puzzles x --quick's budget
    assert estimate.max_calls == calls
    assert estimate.prompt_tokens == calls * GAME24.prompt_tokens
    assert estimate.max_usd == pytest.approx(
        (calls * GAME24.prompt_tokens * 0.15 + calls * GAME24.completion_tokens * 0.60) / 1e6
    )
    unpriced = msgspec.structs.replace(settings, model="mystery-1")
    assert estimate_cost(plan.cost_lines(), unpriced, "x").max_usd is None


def _config(tmp_path: Path, base_url: str) -> str:
    path = tmp_path / "rafa.toml"
    path.write_text(
        f"""
[providers.fake]
kind = "openai"
base_url = "{base_url}"
api_key_env = "OPENAI_API_KEY"
model = "gpt-test"

[models."gpt-test"]
provider = "fake"
input_per_mtok = 1.0
output_per_mtok = 2.0
"""
    )
    return str(path)


def real(tmp_path: Path, base_url: str, *args: str, typed: str | None = None) -> Result:
    """The tiny study on the fake provider at ``base_url`` (``typed``: its standard input)."""
    config = _config(tmp_path, base_url)
    argv = [
        "study", "paper", "--provider", "fake", "--config", config, "--quick", "--seeds", "1",
        "--no-progress", "--out", str(tmp_path / "study"), *args,
    ]  # fmt: skip
    return CliRunner().invoke(app, argv, input=typed, env={"COLUMNS": "200"})


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)


@pytest.fixture
def fake_openai() -> Iterator[tuple[FakeOpenAI, str]]:
    """A fake OpenAI server on loopback, in an event loop of its own (the CLI runs its own)."""
    fake = FakeOpenAI(models={"gpt-test": "gpt-test"})
    with (
        anyio.from_thread.start_blocking_portal() as portal,
        portal.wrap_async_context_manager(serve(fake)) as server,
    ):
        yield fake, fake.base_url(server.url)


def test_without_a_terminal_or_yes_a_real_provider_is_refused_after_the_estimate(
    key: None, tmp_path: Path
) -> None:
    result = real(tmp_path, f"http://127.0.0.1:{closed_port()}/v1")

    assert_one_line_error(result, "--yes", "real provider")
    # The benchmarks' bound (episodes x budget) and the tic-tac-toe curve's
    # estimate (8 games x 230 calls), so the whole is "about".
    assert f"cost estimate for fake:gpt-test: about {QUICK_CALLS:,} LLM calls" in result.stdout
    assert "$1 in / $2 out per 1M tokens" in result.stdout
    assert not (tmp_path / "study").exists()


def test_a_declined_estimate_starts_nothing(
    key: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("rafa_async.cli._study.can_ask", lambda: True)
    result = real(tmp_path, f"http://127.0.0.1:{closed_port()}/v1", typed="n\n")

    assert result.exit_code == 1
    assert "not started" in result.stderr
    assert not (tmp_path / "study").exists()


@pytest.mark.parametrize("confirm", ["--yes", "typed y"])
def test_a_confirmed_study_runs_on_the_real_provider_labelled_with_it(
    key: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_openai: tuple[FakeOpenAI, str],
    confirm: str,
) -> None:
    fake, base_url = fake_openai
    if confirm == "--yes":
        result = real(tmp_path, base_url, "--yes")
    else:
        monkeypatch.setattr("rafa_async.cli._study.can_ask", lambda: True)
        result = real(tmp_path, base_url, typed="y\n")

    assert result.exit_code == 0, result.output
    assert "cost estimate for fake:gpt-test" in result.stdout
    assert fake.calls, "the study called the provider"
    results = results_of(tmp_path / "study")
    assert results.provider == "fake:gpt-test" and not results.simulated
    assert results.estimate is not None and results.estimate.max_calls == QUICK_CALLS
    assert results.llm_calls == len(fake.calls)
    report = (tmp_path / "study" / "report.md").read_text()
    assert "LLM: fake:gpt-test" in report and "SIMULATED" not in report
    assert "Stated before the run: cost estimate" in report


def test_a_cell_the_budget_cut_short_says_so_in_the_success_table() -> None:
    cell = StudyCell(
        column="RAFA", agent="rafa", settings={}, episodes=57, solved=11, errors=0,
        budget_spent=44, success=11 / 57, ci_low=0.11, ci_high=0.31,
        llm_calls_per_episode=1920.0, tokens=1, cost_usd=None,
    )  # fmt: skip
    assert cell_text(cell) == "19.3% [11.0-31.0] · 1,920 calls · 44/57 cut by the budget"
    uncut = msgspec.structs.replace(cell, budget_spent=0)
    assert cell_text(uncut) == "19.3% [11.0-31.0] · 1,920 calls"


# -- the journal, and --resume ---------------------------------------------------


def journal_lines(out: Path) -> list[dict[str, Any]]:
    return [msgspec.json.decode(line) for line in (out / JOURNAL_FILE).read_bytes().splitlines()]


def episodes_in(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["kind"] == "episode"]


def task_of(episode: dict[str, Any]) -> str:
    """The task id of a journalled episode (each benchmark names it its own way)."""
    kind = SCENARIOS[episode["record"]["scenario"]].record_type
    return msgspec.convert(episode["record"], kind).task_id


def comparable(results: StudyResults) -> dict[str, Any]:
    """``results`` but what depends on timing: the wall time, and the tokens
    of cells where a budget cut an episode short (which of its concurrent
    calls were admitted before the cut depends on scheduling, even between
    two uninterrupted runs; see :func:`_outcomes`)."""
    data: dict[str, Any] = msgspec.to_builtins(results)
    data["wall_s"] = data["tokens"] = None
    cells = [cell for part in data["parts"] for cell in part["cells"]]
    cells += [a[side] for a in data["ablations"] for side in ("with_memory", "without_memory")]
    for cell in cells:
        if cell["budget_spent"]:
            cell["tokens"] = None
    return data


INTERRUPT_AFTER = 10


@pytest.fixture(scope="module")
def resumed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, bytes, Result, Path]:
    """The tiny study interrupted by a Ctrl-C (SIGINT) once INTERRUPT_AFTER
    episodes are journalled (on trio), then resumed (on asyncio): the first
    run, its journal, the resumed run and ``--out``."""
    out = tmp_path_factory.mktemp("resumed") / "study"
    seen = 0

    async def interrupting(*args: Any, on_episode: Any, **kwargs: Any) -> StudyResults:
        def episode(run: StudyRun, record: TaskRecord) -> None:
            nonlocal seen
            on_episode(run, record)
            seen += 1
            if seen == INTERRUPT_AFTER:
                signal.raise_signal(signal.SIGINT)

        return await run_study(*args, on_episode=episode, **kwargs)

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("rafa_async.cli._study.run_study", interrupting)
            first = rafa(*TINY, "--backend", "trio", "--out", str(out))
    finally:
        signal.signal(signal.SIGINT, previous)
    kept = (out / JOURNAL_FILE).read_bytes()
    second = rafa(*TINY, "--backend", "asyncio", "--resume", "--out", str(out))
    return first, kept, second, out


def test_an_interrupted_study_keeps_its_episodes_and_says_how_to_continue(
    resumed: tuple[Result, bytes, Result, Path],
) -> None:
    first, kept, _, out = resumed
    episodes = [line for line in kept.splitlines() if b'"kind":"episode"' in line]
    total = plan_study(PAPER, seeds=1, quick=True).episodes

    assert first.exit_code == 130, first.output
    assert INTERRUPT_AFTER <= len(episodes) < total
    assert first.stderr.strip() == (
        f"interrupted: {len(episodes)} of {total} episodes done, kept in "
        f"{out / JOURNAL_FILE}; continue with --resume"
    )


def test_a_resumed_study_runs_only_the_missing_episodes_and_reports_like_an_uninterrupted_one(
    studies: dict[str, tuple[Result, Path]], resumed: tuple[Result, bytes, Result, Path]
) -> None:
    _, kept, second, out = resumed
    before = episodes_in([msgspec.json.decode(line) for line in kept.splitlines()])
    total = plan_study(PAPER, seeds=1, quick=True).episodes

    assert second.exit_code == 0, second.output
    assert f"resumed: {len(before)} of {total} episodes already done" in second.stdout
    lines = journal_lines(out)
    assert (out / JOURNAL_FILE).read_bytes().startswith(kept)  # appended to, not rewritten
    ran = episodes_in(lines[len(kept.splitlines()) :])
    assert len(ran) == total - len(before)  # only the missing episodes ran
    tasks = [(e["row"], e["column"], e["seed"], task_of(e)) for e in before + ran]
    assert len(set(tasks)) == total
    reference = results_of(studies["trio"][1])
    assert comparable(results_of(out)) == comparable(reference)


def test_the_journal_holds_every_episode_tagged_with_its_run_and_settings(
    studies: dict[str, tuple[Result, Path]],
) -> None:
    lines = journal_lines(studies["trio"][1])
    plan = plan_study(PAPER, seeds=1, quick=True)
    runs = {(r.row, r.column, r.seed): r for r in plan.runs}

    assert lines[0] == {"kind": "study", "study": "paper", "seeds": 1, "quick": True,
                        "provider": "sim"}  # fmt: skip
    episodes = episodes_in(lines)
    assert len(episodes) == plan.episodes == len(lines) - 2
    for line in episodes:
        run = runs[line["row"], line["column"], line["seed"]]
        assert line["config"] == settings(run.config, ignore=NOT_RESULTS)
        assert line["record"]["scenario"] == run.config.scenario
        assert line["record"]["agent"] == run.config.agent
    per_run = Counter((e["row"], e["column"], e["seed"]) for e in episodes)
    assert per_run == {key: run.tasks for key, run in runs.items()}
    assert lines[-1]["kind"] == "learning" and lines[-1]["name"] == "tictactoe"
    assert [c["label"] for c in lines[-1]["curves"]] == ["B=3"]


def sim_stack() -> MiddlewareStack:
    """The sim, answering at once."""
    return MiddlewareStack(simulated_llm(latency=LatencyModel(scale=0)))


async def journalled(plan: StudyPlan, out: Path) -> StudyResults:
    """``plan`` run whole on the sim, every episode journalled in ``out``."""
    async with sim_stack() as llm:
        with StudyJournal(out, plan, resume=False) as journal:
            return await run_study(plan, llm, on_episode=journal.episode)


async def resume(plan: StudyPlan, out: Path, done: StudyDone) -> tuple[StudyResults, list[str]]:
    """``plan`` resumed from ``done``, journalled in ``out``: its results, and
    the task ids of the episodes it ran."""
    ran: list[str] = []
    with StudyJournal(out, plan, resume=True) as journal:

        def again(run: StudyRun, record: TaskRecord) -> None:
            journal.episode(run, record)
            ran.append(record.task_id)

        async with sim_stack() as llm:
            return await run_study(plan, llm, done=done, on_episode=again), ran


DIRECT = msgspec.structs.replace(GAME24, agents=GAME24.agents[-1:], ablation=None)
"""Game of 24 with one cheap column (three puzzles under --quick)."""


@pytest.mark.anyio
async def test_a_study_cancelled_midway_resumes_with_only_the_missing_episodes(
    anyio_backend: Any, tmp_path: Path
) -> None:
    plan = plan_study(StudySpec(name="t", benchmarks=(DIRECT,)), seeds=2, quick=True)
    async with sim_stack() as llm:
        whole = await run_study(plan, llm)
    with StudyJournal(tmp_path, plan, resume=False) as journal:
        with anyio.CancelScope() as scope:

            def episode(run: StudyRun, record: TaskRecord) -> None:
                journal.episode(run, record)
                scope.cancel()

            async with sim_stack() as llm:
                await run_study(plan, llm, on_episode=episode)
    done = read_journal(tmp_path, plan)
    resumed, ran = await resume(plan, tmp_path, done)

    assert 1 <= done.count(plan) < plan.episodes == 6
    assert len(ran) == plan.episodes - done.count(plan)
    assert len(episodes_in(journal_lines(tmp_path))) == plan.episodes
    assert comparable(resumed) == comparable(whole)


@pytest.mark.anyio
async def test_an_episode_a_provider_error_decided_runs_again_on_resume(
    anyio_backend: Any, tmp_path: Path
) -> None:
    plan = plan_study(StudySpec(name="t", benchmarks=(DIRECT,)), seeds=1, quick=True)
    whole = await journalled(plan, tmp_path)
    lines = (tmp_path / JOURNAL_FILE).read_bytes().splitlines()
    failed = msgspec.json.decode(lines[2])
    failed["record"].update(status="error", solved=False, error="ProviderUnavailable: down")
    lines[2] = msgspec.json.encode(failed)
    (tmp_path / JOURNAL_FILE).write_bytes(b"\n".join(lines) + b"\n")
    done = read_journal(tmp_path, plan)
    resumed, ran = await resume(plan, tmp_path, done)

    assert done.count(plan) == plan.episodes - 1
    assert ran == [task_of(failed)]
    assert comparable(resumed) == comparable(whole)
    latest = read_journal(tmp_path, plan)  # the last line of a task wins
    assert latest.count(plan) == plan.episodes


@pytest.mark.anyio
async def test_a_learning_protocol_in_the_journal_is_not_run_again(
    anyio_backend: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[str] = []

    async def protocol(part: LearningPart, context: LearningContext) -> list[StudyLearningCurve]:
        calls.append(part.name)
        return await _fake_protocol(part, context)

    monkeypatch.setattr("rafa_async.app._study.LEARNING_RUNNERS", {"toy": protocol})
    toy = LearningPart(name="toy", title="Toy learning curves")
    plan = plan_study(StudySpec(name="t", benchmarks=(DIRECT,), learning=(toy,)), seeds=1)
    async with open_llm() as llm:
        with StudyJournal(tmp_path, plan, resume=False) as journal:
            whole = await run_study(plan, llm, on_learning=journal.learning)
        again = await run_study(plan, llm, done=read_journal(tmp_path, plan))

    assert calls == ["toy"]
    assert again.learning == whole.learning
    assert journal_lines(tmp_path)[-1]["kind"] == "learning"


def copy_journal(studies: dict[str, tuple[Result, Path]], out: Path) -> Path:
    out.mkdir()
    (out / JOURNAL_FILE).write_bytes((studies["trio"][1] / JOURNAL_FILE).read_bytes())
    return out


def edit_line(out: Path, number: int, text: bytes) -> None:
    lines = (out / JOURNAL_FILE).read_bytes().splitlines()
    lines[number - 1] = text
    (out / JOURNAL_FILE).write_bytes(b"\n".join(lines) + b"\n")


UNQUICK = tuple(a for a in TINY if a != "--quick")


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        ((*TINY, "--seeds", "2"), ("another study's", "seeds=1, not seeds=2")),
        (UNQUICK, ("another study's", "quick=True, not quick=False")),
        ((*TINY, "--force"), ("--resume", "--force")),
    ],
    ids=["seeds", "quick", "force"],
)
def test_resuming_another_study_is_a_one_line_error(
    studies: dict[str, tuple[Result, Path]],
    tmp_path: Path,
    argv: tuple[str, ...],
    fragments: tuple[str, ...],
) -> None:
    out = copy_journal(studies, tmp_path / "study")
    result = rafa(*argv, "--resume", "--out", str(out))
    assert_one_line_error(result, *fragments)


def test_resuming_without_a_journal_is_a_one_line_error(tmp_path: Path) -> None:
    result = rafa(*TINY, "--resume", "--out", str(tmp_path / "study"))
    assert_one_line_error(result, "--resume", JOURNAL_FILE, "does not exist")
    assert not (tmp_path / "study").exists()


def test_a_corrupt_journal_line_is_a_one_line_error_naming_it(
    studies: dict[str, tuple[Result, Path]], tmp_path: Path
) -> None:
    out = copy_journal(studies, tmp_path / "study")
    edit_line(out, 3, b'{"kind": "episode", "row": ')
    assert_one_line_error(rafa(*TINY, "--resume", "--out", str(out)), "line 3", "journal")


def test_a_run_journalled_with_other_settings_is_a_one_line_error_naming_the_setting(
    studies: dict[str, tuple[Result, Path]], tmp_path: Path
) -> None:
    out = copy_journal(studies, tmp_path / "study")
    line = msgspec.json.decode((out / JOURNAL_FILE).read_bytes().splitlines()[1])
    line["config"]["n_generate"] += 1
    edit_line(out, 2, msgspec.json.encode(line))
    result = rafa(*TINY, "--resume", "--out", str(out))
    assert_one_line_error(result, "line 2", f"n_generate={line['config']['n_generate']}")


def test_resuming_with_another_provider_is_a_one_line_error(
    key: None, studies: dict[str, tuple[Result, Path]], tmp_path: Path
) -> None:
    copy_journal(studies, tmp_path / "study")
    result = real(tmp_path, f"http://127.0.0.1:{closed_port()}/v1", "--resume")
    assert_one_line_error(result, "another study's", "provider='sim', not provider='fake:gpt-test'")


@pytest.mark.anyio
async def test_a_resumed_study_prices_only_the_episodes_left(
    anyio_backend: Any, tmp_path: Path
) -> None:
    plan = plan_study(StudySpec(name="t", benchmarks=(DIRECT,)), seeds=2, quick=True)
    await journalled(plan, tmp_path)
    lines = (tmp_path / JOURNAL_FILE).read_bytes().splitlines(keepends=True)
    (tmp_path / JOURNAL_FILE).write_bytes(b"".join(lines[:3]))  # the header and two episodes
    done = read_journal(tmp_path, plan)

    (whole,) = plan.cost_lines()
    (left,) = plan.cost_lines(done)
    budget = plan.runs[0].config.llm_call_budget
    assert budget is not None and whole.episodes == plan.episodes == 6
    assert (left.episodes, left.max_calls) == (4, 4 * budget)
    assert left.prompt_tokens == 4 * budget * DIRECT.prompt_tokens


def test_a_learning_protocol_already_kept_is_not_priced_again() -> None:
    protocol = PAPER.learning[0]
    plan = plan_study(StudySpec(name="t", benchmarks=(), learning=(protocol,)), seeds=2)

    (fresh,) = plan.cost_lines()
    (kept,) = plan.cost_lines(StudyDone(learning={protocol.name: []}))
    assert fresh.episodes == 2 * protocol.games_per_seed and fresh.max_calls > 0
    assert (kept.episodes, kept.max_calls, kept.prompt_tokens) == (0, 0, 0)


def test_a_provider_outage_says_the_episodes_are_kept_and_how_to_continue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: tuple[FakeOpenAI, str]
) -> None:
    _, base_url = fake_openai
    journal = tmp_path / "study" / JOURNAL_FILE
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")  # every call: 401, the run cannot go on
    result = real(tmp_path, base_url, "--yes")

    assert_one_line_error(
        result, "rejected the API key (HTTP 401)", "no episode finished, nothing written"
    )
    assert not journal.exists()  # its error records were held back, as rafa run's are

    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    assert real(tmp_path, base_url, "--yes").exit_code == 0
    lines = journal.read_bytes().splitlines(keepends=True)
    journal.write_bytes(b"".join(lines[:3]))  # the study's line and two episodes
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    result = real(tmp_path, base_url, "--yes", "--resume")

    assert_one_line_error(
        result,
        "rejected the API key (HTTP 401)",
        "episodes done so far: 2",
        f"kept in {journal}; continue with --resume",
    )
    assert journal.read_bytes() == b"".join(lines[:3])


def test_a_study_that_fails_to_start_leaves_the_journal_there_as_it_was(tmp_path: Path) -> None:
    out = tmp_path / "study"
    out.mkdir()
    (out / JOURNAL_FILE).write_bytes(b"an earlier study's journal\n")
    (tmp_path / "cache").mkdir()  # a folder where the cache file should be

    result = rafa(
        "study", "paper", "--quick", "--seeds", "1", "--latency-scale", "0", "--force",
        "--no-progress", "--out", str(out), "--cache", str(tmp_path / "cache"),
    )  # fmt: skip

    assert_one_line_error(result, "cannot open the response cache")
    assert (out / JOURNAL_FILE).read_bytes() == b"an earlier study's journal\n"
