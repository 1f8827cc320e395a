"""``rafa run``: an agent on a benchmark's tasks, with a summary table."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import msgspec
import typer
from rich.progress import TextColumn
from rich.table import Table

from rafa_async._errors import ConfigError
from rafa_async._events import EventRecorder
from rafa_async.app import (
    AGENT_KINDS,
    BenchmarkConfig,
    BenchmarkSummary,
    LLMOptions,
    build_llm,
    open_llm,
    run_benchmark,
    summarize_benchmark,
)
from rafa_async.cli._app import (
    AGENT,
    EXECUTION,
    LLM,
    OUTPUT,
    TASKS,
    AgentName,
    Backend,
    LogFormat,
    LogFormatOption,
    LogLevelOption,
    Switching,
    app,
    fail,
    log,
    out,
    progress_bar,
    sim_latency,
    start_logging,
)
from rafa_async.cli._interrupt import report_interrupted, run_until_interrupted
from rafa_async.cli._llm import (
    LLM_OPTIONS,
    check_llm,
    llm_caption,
    llm_options,
    print_llm_usage,
    refuse_sim_options,
)
from rafa_async.cli._outputs import ForceOption, open_outputs, prepare_outputs
from rafa_async.cli._resume import combined, finished, read_results, settings, stamped
from rafa_async.llm import SIM_LABEL, MiddlewareStack
from rafa_async.scenarios import SCENARIOS, TaskRecord


@app.command()
@llm_options()
def run(
    context: typer.Context,
    scenario: Annotated[str, typer.Argument(help="Benchmark to run (see `rafa scenarios`).")],
    agent: Annotated[
        AgentName,
        typer.Option(
            help=", ".join(f"{name} ({kind.description})" for name, kind in AGENT_KINDS.items()),
            rich_help_panel=AGENT,
        ),
    ] = "rafa",
    n_generate: Annotated[
        int,
        typer.Option(help="Proposals sampled per frontier node and level.", rich_help_panel=AGENT),
    ] = 10,
    n_evaluate: Annotated[
        int, typer.Option(help="Value samples per candidate state.", rich_help_panel=AGENT)
    ] = 3,
    beam: Annotated[
        int, typer.Option(help="States kept per level (the paper's b).", rich_help_panel=AGENT)
    ] = 1,
    switching: Annotated[
        Switching, typer.Option(help="When RAFA replans.", rich_help_panel=AGENT)
    ] = Switching.every_step,
    puzzles: Annotated[
        str,
        typer.Option(
            "--puzzles",
            help="Task ranks: 901-1000 (the paper's test split), 5, or 1-3,10.",
            rich_help_panel=TASKS,
        ),
    ] = "901-1000",
    max_steps: Annotated[
        int | None,
        typer.Option(
            help="Environment interactions per task (default: the scenario's; 20 for game24).",
            rich_help_panel=TASKS,
        ),
    ] = None,
    llm: LLMOptions = LLM_OPTIONS,
    seed: Annotated[
        int,
        typer.Option(
            help="Seed of the simulated LLM (same seed, same results).", rich_help_panel=LLM
        ),
    ] = 0,
    latency_scale: Annotated[
        float,
        typer.Option(help="Scale the sim's simulated latency (0 = instant).", rich_help_panel=LLM),
    ] = 1.0,
    backend: Annotated[
        Backend, typer.Option(help="Async library to run on.", rich_help_panel=EXECUTION)
    ] = Backend.trio,
    concurrency: Annotated[
        int, typer.Option(help="Tasks (episodes) run at once.", rich_help_panel=EXECUTION)
    ] = 25,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Write one JSON line per task here ('-': stdout, and the table goes to stderr).",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    trace: Annotated[
        Path | None,
        typer.Option(
            help="Write every event (plans, LLM calls, transitions) as JSON lines.",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue the results in --out (made with the same settings): skip the "
            "tasks already there, append the others; the summary covers them all.",
            rich_help_panel=OUTPUT,
        ),
    ] = False,
    force: ForceOption = False,
    log_format: LogFormatOption = LogFormat.console,
    log_level: LogLevelOption = "warning",
    progress: Annotated[
        bool, typer.Option(help="Show a progress bar (on a terminal).", rich_help_panel=OUTPUT)
    ] = True,
) -> None:
    """Run an agent on a benchmark and print a summary table.

    Example: rafa run game24 --agent rafa --puzzles 901-1000 --seed 0 --out results.jsonl
    """
    start_logging(log_format, log_level)
    latency = sim_latency(latency_scale)
    resolved = check_llm(llm, backend=backend.value)
    refuse_sim_options(context, resolved)
    config = BenchmarkConfig(
        scenario=scenario,
        agent=agent,
        provider=resolved.label,
        tasks=puzzles,
        seed=seed,
        n_generate=n_generate,
        n_evaluate=n_evaluate,
        beam=beam,
        switching=switching.value,
        max_steps=max_steps,
        concurrency=concurrency,
        max_llm_concurrency=resolved.settings.max_concurrency,
        llm_timeout=resolved.settings.timeout,
        latency=latency,
    )
    try:
        config.validate()
        bench = SCENARIOS[scenario]
        ids = [task.id for task in bench.tasks(puzzles)]
    except ConfigError as error:
        fail(error)
    prepare_outputs(out_path, {"--trace": trace}, resume=resume, force=force)
    stamp = settings(config, ignore=NOT_RESULTS)
    key = partial(task_key, bench.record_type)
    kept = read_results(out_path, key=key, config=stamp) if resume and out_path else {}
    done_before = {task for task, record in kept.items() if finished(record)}
    with ExitStack() as stack:
        results, (sink,) = open_outputs(stack, out_path, trace, append=resume)
        recorder = EventRecorder(sink)
        bar = progress_bar(
            f"[bold]{scenario} · {agent}[/] [dim]({llm_caption(resolved)})[/]",
            TextColumn("solved {task.fields[solved]}"),
            enabled=progress,
        )
        solved = sum(bool(kept[task].get("solved")) for task in done_before)
        done = 0
        job = bar.add_task("run", total=len(ids), completed=len(done_before), solved=solved)

        def on_result(record: TaskRecord) -> None:
            nonlocal solved, done
            solved += record.solved
            done += 1
            bar.update(job, advance=1, solved=solved)
            if results is not None:
                results.write_line(stamped(record, stamp), held=record.status == "error")
            log.debug("episode_ended", task=record.task_id, solved=record.solved)

        log.info("run_started", **msgspec.to_builtins(config, builtin_types=()))

        async def main() -> tuple[list[TaskRecord], BenchmarkSummary, MiddlewareStack]:
            sim = partial(build_llm, config)
            async with open_llm(llm, sim=sim, recorder=recorder, seed=seed) as shared:
                records, summary = await run_benchmark(
                    config, recorder=recorder, on_result=on_result, llm=shared, skip=done_before
                )
            return records, summary, shared

        with bar:
            ran = run_until_interrupted(main, backend.value)
        if results is not None:
            results.release()  # not stopped by a provider that never answered
    if ran is None:
        report_interrupted(len(done_before) + done, len(ids), out_path)
    records, summary, shared = ran
    if kept:  # the summary covers the whole --out: earlier records and these
        everything = combined(kept, records, bench.record_type, key)
        summary = summarize_benchmark(config, everything, summary.wall_s)
    log.info("run_ended", **msgspec.to_builtins(summary))
    print_summary(summary, config, backend.value, out_path, trace)
    print_llm_usage(shared, resolved)


def _errored(summary: BenchmarkSummary) -> str:
    if not summary.errors:
        return "0"
    return f"{summary.errors} (status error: not the model's failure)"


def _success(summary: BenchmarkSummary) -> str:
    """Over all tasks; with errored tasks, also over the tasks the provider served."""
    rate = f"{summary.success_rate:.1%} of all tasks"
    served = summary.episodes - summary.errors
    if not summary.errors:
        return rate
    if not served:
        return f"{rate} (no task was served by the provider)"
    return f"{rate} · {summary.solved / served:.1%} of the {served} without a provider error"


NOT_RESULTS = ("concurrency", "max_llm_concurrency", "llm_timeout", "latency")
"""Settings that change how fast a run goes, not its results: --resume may
change them."""


def task_key(record_type: type[TaskRecord], record: TaskRecord | Mapping[str, Any]) -> str:
    """A record's task id, as ``--resume`` matches them (a line read back
    as the benchmark's ``record_type``)."""
    if isinstance(record, Mapping):
        record = msgspec.convert(record, record_type)
    return record.task_id


def print_summary(
    summary: BenchmarkSummary,
    config: BenchmarkConfig,
    backend: str,
    out_path: Path | None,
    trace: Path | None,
) -> None:
    title = f"{summary.scenario} · {summary.agent}"
    if summary.simulated:
        title += " · [bold yellow]SIMULATED LLM[/]"
        out.print(f"[bold yellow]{SIM_LABEL}[/]")
    table = Table(title=title, title_justify="left", show_header=True)
    for column in ("metric", "value"):
        table.add_column(column)
    rows = [
        ("tasks", f"{summary.episodes} (ranks {config.tasks})"),
        ("solved", f"{summary.solved}"),
        ("failed: provider error", _errored(summary)),
        ("success rate", _success(summary)),
        ("mean env steps", f"{summary.mean_env_steps:.2f}"),
        ("LLM calls", f"{summary.llm_calls} ({summary.llm_calls_per_episode:.1f} per task)"),
        ("LLM calls failed (provider errors)", f"{summary.failed_calls}"),
        ("tokens", f"{summary.tokens}"),
        ("wall time", f"{summary.wall_s:.2f} s"),
        (
            "search",
            f"n_generate={config.n_generate} n_evaluate={config.n_evaluate} b={config.beam}",
        ),
        ("backend / seed", f"{backend} / {config.seed}"),
    ]
    for metric, value in rows:
        table.add_row(metric, value)
    out.print(table)
    if out_path is not None:
        out.print(f"results: {out_path}")
    if trace is not None:
        out.print(f"trace: {trace}")
