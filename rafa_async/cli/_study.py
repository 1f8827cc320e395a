"""``rafa study paper``: the paper's protocol on any provider, and its report.

``rafa study`` is a command group (the tic-tac-toe protocol adds
``rafa study tictactoe``).  ``paper`` plans :data:`~rafa_async.app.PAPER`
against this build, says what it cannot run and why, states the cost bound
on a real provider and asks before spending it (``--yes`` does not ask; with
no terminal to ask on, it must be given), runs every part at once on one
LLM stack, and writes ``report.md``, ``report.html``, the PNGs and
``results.json`` into ``--out``.  Every episode is kept in
``--out``/``episodes.jsonl`` as it ends (:class:`~rafa_async.app.StudyJournal`):
an interrupted study continues with ``--resume``, running only what is
missing, and its report is that of an uninterrupted one.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rafa_async._concurrency import first_of
from rafa_async._errors import ConfigError, ProviderUnavailable
from rafa_async._events import EventRecorder
from rafa_async.app import (
    PAPER,
    PLOT_EXTRA,
    BenchmarkConfig,
    CostEstimate,
    LLMOptions,
    StudyDone,
    StudyJournal,
    StudyPlan,
    StudyResults,
    StudyRun,
    check_out_dir,
    estimate_cost,
    finished,
    open_llm,
    plan_study,
    read_journal,
    run_study,
    write_study,
)
from rafa_async.cli._app import app, at_least, fail, out, sim_latency, start_logging
from rafa_async.cli._console import RafaGroup, err
from rafa_async.cli._llm import (
    LLM_OPTIONS,
    check_llm,
    llm_caption,
    llm_options,
    print_llm_usage,
    refuse_sim_options,
)
from rafa_async.cli._options import (
    EXECUTION,
    OUTPUT,
    TASKS,
    Backend,
    BackendOption,
    ForceOption,
    LatencyScaleOption,
    LogFormat,
    LogFormatOption,
    LogLevelOption,
    ProgressOption,
    option,
)
from rafa_async.cli._session import run_whole
from rafa_async.cli._study_tictactoe import study_tictactoe
from rafa_async.llm import SIM_LABEL, MiddlewareStack, SimLLM
from rafa_async.scenarios import TaskRecord, simulated_llm

study = typer.Typer(
    name="study",
    help=(
        "Studies: the paper's protocol -- every benchmark with RAFA and its baselines under "
        "stated LLM-call budgets -- run at once, written as a report."
    ),
    no_args_is_help=True,
    cls=RafaGroup,
)
app.add_typer(study)
study.command("tictactoe")(llm_options()(study_tictactoe))

NOT_STARTED = 1
"""Exit status when the user declines the cost estimate."""


def can_ask() -> bool:
    """Whether there is a terminal to ask for confirmation on."""
    return sys.stdin.isatty()


def confirm_cost(estimate: CostEstimate, *, yes: bool) -> None:
    """Print ``estimate``; unless ``yes``, ask before spending it: one
    ``error:`` line when there is no terminal to ask on, exit status 1 if
    the answer is no."""
    out.print(estimate.summary(), highlight=False, soft_wrap=True)
    if yes:
        return
    if not can_ask():
        fail(
            "a study on a real provider spends money: confirm on a terminal, or pass --yes "
            "to accept the cost estimate above"
        )
    if not typer.confirm("Start the study?", default=False, err=True):
        err.print("not started", highlight=False)
        raise typer.Exit(NOT_STARTED)


@study.command()
@llm_options()
def paper(
    context: typer.Context,
    seeds: Annotated[
        int,
        option("Runs per benchmark and agent, seeded 0..SEEDS-1 (on a real LLM: repeats).", TASKS),
    ] = 5,
    quick: Annotated[
        bool,
        option("A tiny configuration: a few tasks and a small search (a smoke test).", TASKS),
    ] = False,
    yes: Annotated[
        bool,
        option(
            "Start on a real provider without asking (the cost estimate is printed anyway).",
            EXECUTION,
            "--yes",
        ),
    ] = False,
    llm: LLMOptions = LLM_OPTIONS,
    latency_scale: LatencyScaleOption = 0.0,
    backend: BackendOption = Backend.trio,
    concurrency: Annotated[
        int, option("Tasks (episodes) run at once, per benchmark, agent and seed.", EXECUTION)
    ] = 25,
    out_dir: Annotated[
        Path,
        option(
            "Directory for report.md, report.html, the PNGs and results.json (created), and "
            "episodes.jsonl: every episode, kept as it ends.",
            OUTPUT,
            "--out",
        ),
    ] = Path("study"),
    resume: Annotated[
        bool,
        option(
            "Continue the interrupted study in --out (same seeds, --quick and provider): run "
            "only the episodes its episodes.jsonl lacks, then write the whole report.",
            OUTPUT,
            "--resume",
        ),
    ] = False,
    force: ForceOption = False,
    log_format: LogFormatOption = LogFormat.console,
    log_level: LogLevelOption = "warning",
    progress: ProgressOption = True,
) -> None:
    """The paper's study: success tables, curves, memory ablation, learning curves.

    Every benchmark with RAFA and its baselines, and the Tic-Tac-Toe learning
    curves, written as a report (success with 95% intervals).

    On a real provider the cost estimate (calls x tokens x price) is printed
    first, and the study starts once confirmed (or with --yes).

    Every episode is kept in --out/episodes.jsonl as it ends: after a Ctrl-C,
    a crash or a provider outage, run the same command with --resume to run
    only what is missing.

    Example: rafa study paper --provider sim --seeds 5 --out study/
    """
    start_logging(log_format, log_level)
    at_least("--seeds", seeds, 1)
    if resume and force:
        fail("--resume continues the study in --out and --force replaces it: give one of them")
    resolved = check_llm(llm, backend=backend.value)
    refuse_sim_options(context, resolved)
    base = BenchmarkConfig(
        provider=resolved.label,
        max_llm_concurrency=resolved.settings.max_concurrency,
        llm_timeout=resolved.settings.timeout,
        latency=sim_latency(latency_scale),
        concurrency=int(at_least("--concurrency", concurrency, 1)),
    )
    try:
        plan = plan_study(PAPER, seeds=seeds, quick=quick, base=base)
        if not resume:
            check_out_dir(out_dir, force=force)
    except ConfigError as error:
        fail(error)
    try:
        done = read_journal(out_dir, plan) if resume else StudyDone()
    except ConfigError as error:
        fail(f"--resume: {error}")
    print_plan(plan, done)
    estimate = None
    if not resolved.settings.simulated and llm.replay is None:
        estimate = estimate_cost(plan.cost_lines(done), resolved.settings, resolved.label)
        confirm_cost(estimate, yes=yes)
    stacks: list[MiddlewareStack] = []

    try:
        journal = StudyJournal(out_dir, plan, resume=resume)
    except ConfigError as error:
        fail(error)

    kept = done.count(plan)

    def episode(run: StudyRun, result: TaskRecord) -> None:
        nonlocal kept
        journal.episode(run, result)
        kept += finished(result)

    async def main(record: Callable[[TaskRecord], None]) -> StudyResults:
        recorder = EventRecorder()

        def sim() -> SimLLM:
            return simulated_llm(seed=0, latency=base.latency)

        try:
            async with open_llm(llm, sim=sim, recorder=recorder) as stack:
                stacks.append(stack)
                return await run_study(
                    plan,
                    stack,
                    recorder=recorder,
                    on_result=record,
                    done=done,
                    on_episode=episode,
                    on_learning=journal.learning,
                )
        except (ProviderUnavailable, BaseExceptionGroup) as error:
            outage = first_of(error, ProviderUnavailable)
            if outage is None:
                raise
            left = (
                f"episodes done so far: {kept}, kept in {journal.path}; continue with --resume"
                if kept
                else "no episode finished, nothing written"
            )
            raise ProviderUnavailable(f"{outage}; {left}") from error

    started = time.perf_counter()
    with journal:
        results = run_whole(
            main,
            caption=f"[bold]study {plan.spec.name}[/] [dim]({llm_caption(resolved)})[/]",
            total=plan.episodes,
            unit="episodes",
            lost=f"kept in {journal.path}; continue with --resume",
            backend=backend.value,
            progress=progress,
            done_before=done.count(plan),
        )
    results.estimate = estimate
    try:
        files = write_study(results, out_dir)
    except ConfigError as error:
        fail(error)
    print_headline(results)
    out.print(f"wall time {time.perf_counter() - started:.1f} s", highlight=False)
    for path in files.paths:
        out.print(f"wrote {path}", highlight=False)
    if not files.plotted:
        out.print(f"no PNG plots: they need matplotlib, the plot extra ({PLOT_EXTRA})")
    print_llm_usage(stacks[0], resolved)


def print_plan(plan: StudyPlan, done: StudyDone) -> None:
    """What will run (with ``--resume``: what was run already), and each
    part or agent that will not, with why."""
    out.print(
        f"study {plan.spec.name}: {len(plan.runs)} runs ({plan.episodes} episodes) over "
        f"{len(plan.parts)} benchmark(s), {plan.seeds} seed(s)"
        + (" · --quick" if plan.quick else ""),
        highlight=False,
    )
    if done.episodes or done.learning:
        learned = [p.title for p in plan.learning if p.name in done.learning]
        out.print(
            f"  resumed: {done.count(plan)} of {plan.episodes} episodes already done"
            + (f"; kept: {', '.join(learned)}" if learned else ""),
            highlight=False,
        )
    for missing in plan.unavailable:
        where = missing.part if missing.column is None else f"{missing.part} · {missing.column}"
        out.print(f"  not available: {where}: {missing.reason}", highlight=False)


def print_headline(results: StudyResults) -> None:
    """The success table: rows benchmarks, columns agents, with intervals and calls."""
    if results.simulated:
        out.print(f"[bold yellow]{SIM_LABEL}[/] -- the sim is not a language model")
    provider = "sim" if results.provider == SIM_LABEL else results.provider
    title = f"study {results.study} · success (95% Wilson) · LLM calls per episode · {provider}"
    if results.simulated:
        title += " · [bold yellow]SIMULATED LLM[/]"
    columns = list(dict.fromkeys(c.column for p in results.parts for c in p.cells))
    table = Table(title=title, title_justify="left")
    for column in ("benchmark", *columns):
        table.add_column(column)
    for part in results.parts:
        cells = {c.column: c for c in part.cells}
        table.add_row(
            part.row,
            *(
                f"{cells[c].success:.1%} [{cells[c].ci_low:.0%}, {cells[c].ci_high:.0%}]\n"
                f"{cells[c].llm_calls_per_episode:,.0f} calls"
                if c in cells
                else "-"
                for c in columns
            ),
        )
    out.print(table)
    for ablation in results.ablations:
        out.print(
            f"memory ablation · {ablation.row}: RAFA {ablation.with_memory.success:.1%} vs "
            f"no memory {ablation.without_memory.success:.1%}: "
            f"{100 * ablation.difference:+.1f} points "
            f"[{100 * ablation.ci_low:+.1f}, {100 * ablation.ci_high:+.1f}]",
            highlight=False,
        )
