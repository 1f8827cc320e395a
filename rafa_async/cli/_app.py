"""``rafa``: run RAFA and its baselines from the command line."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, NoReturn

import anyio
import msgspec
import structlog
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from rafa_async._errors import ConfigError, RafaError
from rafa_async._events import EventRecorder, JsonlSink, MsgpackSink, open_sink
from rafa_async._logging import configure_logging
from rafa_async.experiment import ExperimentConfig, Summary, run_experiment
from rafa_async.llm import SIM_LABEL, LatencyModel
from rafa_async.scenarios import GAMES, SCENARIOS, get_game
from rafa_async.scenarios.game24 import Game24Record

app = typer.Typer(
    name="rafa",
    help=(
        "rafa-async: RAFA (Reason for Future, Act for Now) LLM agents, run asynchronously.\n\n"
        "The default provider is 'sim', an embedded SIMULATED LLM (no keys, no network): "
        "its results are a simulation, not a measurement of any real model."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
log = structlog.get_logger("rafa_async.cli")
out = Console()
err = Console(stderr=True)


AGENT = "Agent and search"
TASKS = "Tasks"
LLM = "LLM"
EXECUTION = "Execution"
OUTPUT = "Output"


class AgentName(StrEnum):
    rafa = "rafa"
    tot = "tot"
    reflexion = "reflexion"
    direct = "direct"


class Backend(StrEnum):
    trio = "trio"
    asyncio = "asyncio"


class Switching(StrEnum):
    every_step = "every-step"
    on_surprise = "on-surprise"


class LogFormat(StrEnum):
    console = "console"
    json = "json"


def fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def start_logging(fmt: LogFormat, level: str) -> None:
    try:
        configure_logging(fmt=fmt.value, level=level)
    except ValueError as error:
        fail(str(error))


def sim_latency(scale: float) -> LatencyModel:
    if scale < 0:
        fail("--latency-scale must be >= 0")
    return LatencyModel(scale=scale)


def open_outputs(
    stack: ExitStack, results: Path | None, *sinks: Path | None
) -> tuple[IO[bytes] | None, list[JsonlSink | MsgpackSink | None]]:
    """The results file and event sinks (``*.msgpack`` or JSON lines) the
    options name, closed with ``stack``; one error line if one cannot be written."""
    try:
        opened = stack.enter_context(results.open("wb")) if results else None
        event_sinks = [open_sink(path) if path else None for path in sinks]
    except OSError as error:
        fail(f"cannot write {error.filename}: {error.strerror}")
    for sink in event_sinks:
        if sink is not None:
            stack.callback(sink.close)
    return opened, event_sinks


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
    provider: Annotated[
        str,
        typer.Option(help="LLM provider. 'sim' = embedded simulated LLM.", rich_help_panel=LLM),
    ] = "sim",
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
    max_llm_concurrency: Annotated[
        int,
        typer.Option(
            "--llm-concurrency", help="LLM calls in flight at once.", rich_help_panel=EXECUTION
        ),
    ] = 256,
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
    log_format: Annotated[
        LogFormat, typer.Option(help="Log renderer on stderr.", rich_help_panel=OUTPUT)
    ] = LogFormat.console,
    log_level: Annotated[
        str, typer.Option(help="debug, info, warning or error.", rich_help_panel=OUTPUT)
    ] = "warning",
    progress: Annotated[
        bool, typer.Option(help="Show a progress bar.", rich_help_panel=OUTPUT)
    ] = True,
) -> None:
    """Run an agent on a benchmark and print a summary table.

    Example: rafa run game24 --agent rafa --puzzles 901-1000 --seed 0 --out results.jsonl
    """
    start_logging(log_format, log_level)
    latency = sim_latency(latency_scale)
    config = ExperimentConfig(
        scenario=scenario,
        agent=agent.value,
        provider=provider,
        tasks=puzzles,
        seed=seed,
        n_generate=n_generate,
        n_evaluate=n_evaluate,
        beam=beam,
        switching=switching.value,
        max_steps=max_steps,
        concurrency=concurrency,
        max_llm_concurrency=max_llm_concurrency,
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
            TextColumn(f"[bold]{scenario} · {agent.value}[/] [dim](simulated LLM)[/]"),
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

        def on_result(record: Game24Record) -> None:
            nonlocal solved
            solved += record.solved
            bar.update(job, advance=1, solved=solved)
            if results is not None:
                results.write(encoder.encode(record) + b"\n")
                results.flush()
            log.debug("episode_ended", rank=record.rank, solved=record.solved)

        log.info("run_started", **msgspec.to_builtins(config, builtin_types=()))
        with bar:
            try:
                _, summary = anyio.run(
                    lambda: run_experiment(config, recorder=recorder, on_result=on_result),
                    backend=backend.value,
                )
            except RafaError as error:
                fail(str(error))
        log.info("run_ended", **msgspec.to_builtins(summary))
    print_summary(summary, config, backend.value, out_path, trace)


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
        ("success rate", f"{summary.success_rate:.1%}"),
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


@app.command()
def scenarios() -> None:
    """List the benchmarks (rafa run) and the games (rafa play)."""
    out.print("[bold]benchmarks[/] (rafa run SCENARIO)")
    for name, spec in sorted(SCENARIOS.items()):
        out.print(f"  [bold]{name}[/]  {spec.description} (default tasks {spec.default_tasks})")
    out.print("[bold]games[/] (rafa play GAME)")
    for name in GAMES:
        game = get_game(name)
        kinds = ", ".join(["rafa", "direct", *game.policies])
        out.print(f"  [bold]{name}[/]  {game.description}; players: {kinds}")


def main() -> None:
    """Entry point of the ``rafa`` script.

    Bad input exits with status 2 and a message naming the problem (typer
    reports bad options; :func:`fail` reports bad values), never a traceback.
    """
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
