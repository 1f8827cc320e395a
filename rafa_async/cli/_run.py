"""``rafa run``: an agent on a benchmark's tasks, with a summary table."""

from __future__ import annotations

from contextlib import ExitStack
from functools import partial
from pathlib import Path
from typing import Annotated

import msgspec
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rafa_async._errors import ConfigError
from rafa_async._events import EventRecorder
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
    err,
    fail,
    log,
    open_outputs,
    out,
    run_or_fail,
    sim_latency,
    start_logging,
)
from rafa_async.cli._llm import (
    CacheOption,
    ProviderOption,
    RecordOption,
    ReplayOption,
    SendIntentOption,
    StreamOption,
    TransportChoice,
    TransportOption,
    choose_llm,
    llm_caption,
    open_llm,
    print_llm_usage,
)
from rafa_async.cli._providers import (
    BaseUrlOption,
    ConfigOption,
    MaxConcurrencyOption,
    MaxConsecutiveFailuresOption,
    RpmOption,
    TpmOption,
)
from rafa_async.experiment import ExperimentConfig, Summary, build_llm, run_experiment
from rafa_async.llm import SIM_LABEL, MiddlewareStack
from rafa_async.scenarios import SCENARIOS, TaskRecord


@app.command()
def run(
    scenario: Annotated[str, typer.Argument(help="Benchmark to run (see `rafa scenarios`).")],
    agent: Annotated[
        AgentName,
        typer.Option(
            help="rafa, or a baseline: tot (open-loop Tree of Thoughts), reflexion, direct.",
            rich_help_panel=AGENT,
        ),
    ] = AgentName.rafa,
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
    provider: ProviderOption = "sim",
    config_file: ConfigOption = None,
    base_url: BaseUrlOption = None,
    max_concurrency: MaxConcurrencyOption = None,
    rpm: RpmOption = None,
    tpm: TpmOption = None,
    max_consecutive_failures: MaxConsecutiveFailuresOption = None,
    send_intent: SendIntentOption = None,
    cache: CacheOption = None,
    record_llm: RecordOption = None,
    replay_llm: ReplayOption = None,
    stream: StreamOption = False,
    transport: TransportOption = TransportChoice.auto,
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
        typer.Option("--out", help="Write one JSON line per task here.", rich_help_panel=OUTPUT),
    ] = None,
    trace: Annotated[
        Path | None,
        typer.Option(
            help="Write every event (plans, LLM calls, transitions) as JSON lines.",
            rich_help_panel=OUTPUT,
        ),
    ] = None,
    log_format: LogFormatOption = LogFormat.console,
    log_level: LogLevelOption = "warning",
    progress: Annotated[
        bool, typer.Option(help="Show a progress bar.", rich_help_panel=OUTPUT)
    ] = True,
) -> None:
    """Run an agent on a benchmark and print a summary table.

    Example: rafa run game24 --agent rafa --puzzles 901-1000 --seed 0 --out results.jsonl
    """
    start_logging(log_format, log_level)
    latency = sim_latency(latency_scale)
    choice = choose_llm(
        provider,
        config_file,
        base_url=base_url,
        max_concurrency=max_concurrency,
        rpm=rpm,
        tpm=tpm,
        send_intent=send_intent,
        max_consecutive_failures=max_consecutive_failures,
        cache=cache,
        record=record_llm,
        replay=replay_llm,
        stream=stream,
        transport=transport,
        backend=backend.value,
    )
    config = ExperimentConfig(
        scenario=scenario,
        agent=agent.value,
        provider=choice.label,
        tasks=puzzles,
        seed=seed,
        n_generate=n_generate,
        n_evaluate=n_evaluate,
        beam=beam,
        switching=switching.value,
        max_steps=max_steps,
        concurrency=concurrency,
        max_llm_concurrency=choice.settings.max_concurrency,
        llm_timeout=choice.settings.timeout,
        latency=latency,
    )
    try:
        config.validate()
        n_tasks = len(SCENARIOS[scenario].tasks(puzzles))
    except ConfigError as error:
        fail(str(error))
    with ExitStack() as stack:
        results, (sink,) = open_outputs(stack, out_path, trace)
        recorder = EventRecorder(sink)
        encoder = msgspec.json.Encoder()
        bar = Progress(
            TextColumn(f"[bold]{scenario} · {agent.value}[/] [dim]({llm_caption(choice)})[/]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("solved {task.fields[solved]}"),
            TimeElapsedColumn(),
            console=err,
            disable=not progress,
            transient=False,
        )
        job = bar.add_task("run", total=n_tasks, solved=0)
        solved = 0

        def on_result(record: TaskRecord) -> None:
            nonlocal solved
            solved += record.solved
            bar.update(job, advance=1, solved=solved)
            if results is not None:
                results.write(encoder.encode(record) + b"\n")
                results.flush()
            log.debug("episode_ended", task=record.task_id, solved=record.solved)

        log.info("run_started", **msgspec.to_builtins(config, builtin_types=()))

        async def main() -> tuple[Summary, MiddlewareStack]:
            sim = partial(build_llm, config)
            async with open_llm(choice, sim=sim, recorder=recorder, seed=seed) as llm:
                _, summary = await run_experiment(
                    config, recorder=recorder, on_result=on_result, llm=llm
                )
            return summary, llm

        with bar:
            summary, llm = run_or_fail(main, backend.value)
        log.info("run_ended", **msgspec.to_builtins(summary))
    print_summary(summary, config, backend.value, out_path, trace)
    print_llm_usage(llm, choice)


def _errored(summary: Summary) -> str:
    if not summary.errors:
        return "0"
    return f"{summary.errors} (status error: not the model's failure)"


def _success(summary: Summary) -> str:
    """Over all tasks; with errored tasks, also over the tasks the provider served."""
    rate = f"{summary.success_rate:.1%} of all tasks"
    served = summary.episodes - summary.errors
    if not summary.errors:
        return rate
    if not served:
        return f"{rate} (no task was served by the provider)"
    return f"{rate} · {summary.solved / served:.1%} of the {served} without a provider error"


def print_summary(
    summary: Summary,
    config: ExperimentConfig,
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
