"""``rafa``: run RAFA and its baselines from the command line."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Annotated, NoReturn, TypeVar

import anyio
import structlog
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from rafa_async._concurrency import first_of
from rafa_async._errors import RafaError
from rafa_async._logging import configure_logging
from rafa_async.app import MCTS_FIELDS, seat_kinds
from rafa_async.cli._console import (  # out, err: the commands' consoles
    USAGE,
    RafaGroup,
    err as err,
    out as out,
    print_error,
)
from rafa_async.cli._fields import in_options
from rafa_async.cli._options import INFO_GAIN_OPTIONS, LogFormat
from rafa_async.llm import LatencyModel
from rafa_async.scenarios import GAMES, SCENARIOS, get_game

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
    cls=RafaGroup,
)
log = structlog.get_logger("rafa_async.cli")
T = TypeVar("T")


def fail(problem: str | BaseException) -> NoReturn:
    """One ``error: MESSAGE`` line, exit status 2.  An error's message says
    the fields it names as this command's options (:func:`in_options`)."""
    print_error(problem if isinstance(problem, str) else in_options(problem))
    raise typer.Exit(USAGE)


def run_or_fail(main: Callable[[], Awaitable[T]], backend: str) -> T:
    """``anyio.run(main)``; a :class:`RafaError` -- alone, or the first of a
    task group's (one failing task cancels its siblings) -- exits with its
    message on one line."""
    try:
        return anyio.run(main, backend=backend)
    except (RafaError, BaseExceptionGroup) as error:
        first = first_of(error, RafaError)
        if first is None:
            raise
        fail(first)


def given(context: typer.Context, name: str) -> bool:
    """Whether the command line set the parameter ``name`` (not its default)."""
    source = context.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


def refuse_info_gain_options(context: typer.Context, switching: str) -> None:
    """One ``error:`` line if an option only ``--switching info-gain`` reads
    was given with another rule (it would be silently ignored)."""
    if switching != "info-gain":
        for name in INFO_GAIN_OPTIONS:
            if given(context, name):
                fail(f"--{name.replace('_', '-')} applies only to --switching info-gain")


def refuse_planner_options(context: typer.Context, planner: str) -> None:
    """One ``error:`` line if an option of the other planner was given
    (``--mcts-*`` with beam, ``--beam`` with mcts): it would be silently ignored."""
    only = {"beam": "beam", **dict.fromkeys(MCTS_FIELDS, "mcts")}
    for name, owner in only.items():
        if owner != planner and given(context, name):
            fail(f"--{name.replace('_', '-')} applies only to --planner {owner}")


def start_logging(fmt: LogFormat, level: str) -> None:
    try:
        configure_logging(fmt=fmt.value, level=level)
    except ValueError as error:
        fail(error)


def at_least(option: str, value: float, minimum: float, *, unit: str = "") -> float:
    """``value``, if it is a finite number >= ``minimum``; else one error line."""
    if not (math.isfinite(value) and value >= minimum):
        fail(f"{option} must be a number >= {minimum:g}{unit}, got {value:g}")
    return value


def above(option: str, value: float, minimum: float, *, unit: str = "") -> float:
    """``value``, if it is a finite number > ``minimum``; else one error line."""
    if not (math.isfinite(value) and value > minimum):
        fail(f"{option} must be a number > {minimum:g}{unit}, got {value:g}")
    return value


def sim_latency(scale: float) -> LatencyModel:
    return LatencyModel(scale=at_least("--latency-scale", scale, 0))


def progress_bar(caption: str, *extra: ProgressColumn, enabled: bool) -> Progress:
    """A progress bar on stderr: ``caption``, the bar, done/total, ``extra``
    columns and the time elapsed.

    Only on a terminal: elsewhere (a pipe, a file, a CI log) stderr is read
    by programs -- JSON log lines with ``--log-format json`` -- and a bar
    would be a stray line among them.
    """
    return Progress(
        TextColumn(caption),
        BarColumn(),
        MofNCompleteColumn(),
        *extra,
        TimeElapsedColumn(),
        console=err,
        disable=not (enabled and err.is_terminal),
    )


def _print_version(wanted: bool) -> None:
    if wanted:
        out.print(f"rafa-async {metadata.version('rafa-async')}", highlight=False)
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print rafa-async's version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    # The options of `rafa` itself (before the command): --version.
    pass


@app.command()
def scenarios() -> None:
    """List the benchmarks (rafa run) and the games (rafa play)."""
    out.print("[bold]benchmarks[/] (rafa run SCENARIO)")
    for name, spec in sorted(SCENARIOS.items()):
        out.print(f"  [bold]{name}[/]  {spec.description} (default tasks {spec.default_tasks})")
    out.print("[bold]games[/] (rafa play GAME)")
    for name in GAMES:
        game = get_game(name)
        kinds = ", ".join(seat_kinds(game))
        out.print(f"  [bold]{name}[/]  {game.description}; players: {kinds}")


def main() -> None:
    """Entry point of the ``rafa`` script.

    Bad input exits with status 2 and one line naming the problem (typer's
    checks and :func:`fail` alike, see :class:`RafaGroup`), never a traceback;
    Ctrl-C exits with status 130.
    """
    app()
