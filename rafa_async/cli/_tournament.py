"""``rafa tournament``: run, resume, inspect and export tournaments.

``rafa tournament run tournament.toml --db results.db`` plays the matches a
config plans, many at once, writing each to the database as it ends (a
live display on a terminal); ``--resume`` goes on after a crash or Ctrl-C.
``status``, ``export`` and ``retry-failed`` read (and, for the last, rerun)
a database; ``report`` writes the Markdown/HTML report.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import msgspec
import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table

from rafa_async._errors import ConfigError
from rafa_async.cli._app import app, fail, out, start_logging
from rafa_async.cli._console import RafaGroup, err
from rafa_async.cli._interrupt import run_until_interrupted
from rafa_async.cli._options import (
    EXECUTION,
    OUTPUT,
    Backend,
    BackendOption,
    Flag,
    LogFormat,
    LogFormatOption,
    LogLevelOption,
    option,
    option_group,
)
from rafa_async.llm import SIM_LABEL
from rafa_async.tournament import (
    RAY_EXTRA,
    Executor,
    Progress,
    RayExecutor,
    Standings,
    TournamentConfig,
    TournamentDB,
    load_tournament,
    run_tournament,
    standings,
)

tournament = typer.Typer(
    name="tournament",
    help=(
        "Tournaments between agent variants: many matches at once, written to a SQLite "
        "database as they end; resumable; rated."
    ),
    no_args_is_help=True,
    cls=RafaGroup,
)
app.add_typer(tournament)

DbArgument = Annotated[Path, typer.Argument(help="The tournament's database (SQLite).")]
ShowLiveOption = Annotated[
    bool, option("Show the live display (on a terminal).", OUTPUT, "--live/--no-live")
]


class ExportFormat(StrEnum):
    jsonl = "jsonl"


class ExecutorKind(StrEnum):
    local = "local"
    ray = "ray"


ExecutorOption = Annotated[
    ExecutorKind,
    option(
        "Where the matches are played: in this process, or as tasks on a Ray cluster "
        f"(results still written here; needs {RAY_EXTRA}).",
        EXECUTION,
    ),
]
RayAddressOption = Annotated[
    str | None,
    option(
        "With --executor ray: the cluster to join ('auto': the one this machine belongs to; "
        "ray://HOST:10001). Default: start a local Ray instance.",
        EXECUTION,
        "--ray-address",
    ),
]

C = TypeVar("C", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class PlayOptions:
    """How ``run`` and ``retry-failed`` play the matches: the options both
    take (with the logs', which :func:`play_options` starts)."""

    backend: Backend = Backend.trio
    executor: ExecutorKind = ExecutorKind.local
    ray_address: str | None = None
    live: bool = True


PLAY = PlayOptions()
"""The default of a command's ``play`` parameter, which :func:`play_options`
replaces by the options themselves."""

PLAY_FLAGS = (
    Flag("backend", BackendOption, PLAY.backend),
    Flag("executor", ExecutorOption, PLAY.executor),
    Flag("ray_address", RayAddressOption, PLAY.ray_address),
    Flag("live", ShowLiveOption, PLAY.live),
    Flag("log_format", LogFormatOption, LogFormat.console),
    Flag("log_level", LogLevelOption, "warning"),
)


def _play_options(values: dict[str, Any]) -> PlayOptions:
    """The options given; the logs start here, before anything else."""
    start_logging(values.pop("log_format"), values.pop("log_level"))
    return PlayOptions(**values)


def play_options(command: C) -> C:
    """Give a command the play options (and start its logs): it declares a
    parameter ``play: PlayOptions = PLAY``, last, and is called with them there."""
    return option_group("play", PLAY_FLAGS, _play_options)(command)  # type: ignore[return-value]


def _executor(config: TournamentConfig, play: PlayOptions) -> Executor | None:
    """The executor the options name (``None``: the local one, the default)."""
    if play.executor is ExecutorKind.local:
        if play.ray_address is not None:
            fail("--ray-address needs --executor ray")
        return None
    try:
        return RayExecutor(config, address=play.ray_address)
    except ConfigError as error:
        fail(error)


def remove_database(path: Path) -> None:
    """Delete a database and its WAL files (``--force``); a file that is not a
    tournament database is refused rather than deleted."""
    if not path.exists():
        return
    TournamentDB.open(path).close()  # ConfigError unless it is one
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _open(path: Path) -> TournamentDB:
    try:
        return TournamentDB.open(path)
    except ConfigError as error:
        fail(error)


def _providers(config: TournamentConfig) -> str:
    return "providers: " + (", ".join(config.providers) or "none (no LLM seat)")


def live_view(config: TournamentConfig, progress: Progress) -> Group:
    """The live display: counts, pace and the standings so far."""
    head = Table.grid(padding=(0, 2))
    eta = progress.eta_s
    head.add_row(
        f"[bold]{config.name}[/] ({config.format}; {_providers(config)})",
        f"done {progress.done}/{progress.planned}",
        f"running {progress.running}",
        f"failed {progress.failed}",
        f"skipped {progress.skipped}",
        f"ETA {'-' if eta is None else f'{eta:.0f} s'}",
        f"LLM calls/s {progress.calls_per_s:.1f}",
    )
    return Group(head, standings_table(progress, limit=10))


def standings_table(progress: Progress, *, limit: int | None = None) -> Table:
    table = Table(title="standings (points per game)", title_justify="left")
    table.add_column("participant")
    table.add_column("games", justify="right")
    table.add_column("points", justify="right")
    table.add_column("score", justify="right")
    for name, points, games in progress.standings()[:limit]:
        table.add_row(name, str(games), f"{points:g}", f"{points / games:.3f}" if games else "-")
    return table


def _play(
    config: TournamentConfig, db: TournamentDB, play: PlayOptions, executor: Executor | None
) -> None:
    """Play ``db``'s planned matches on ``executor`` (``None``: here) with a
    live display; the summary after.  Ctrl-C: one line, exit 130 (the run
    can be resumed)."""
    progress = Progress()
    shown = play.live and err.is_terminal
    display = (
        Live(live_view(config, progress), console=err, refresh_per_second=4, transient=True)
        if shown
        else nullcontext()
    )
    update: Callable[[Progress], None] | None = None
    if isinstance(display, Live):
        screen = display

        def update(p: Progress) -> None:
            screen.update(live_view(config, p))

    async def main() -> Progress:
        return await run_tournament(
            config, db, executor=executor, on_update=update, progress=progress
        )

    with display:
        finished = run_until_interrupted(main, play.backend.value)
    if finished is None:
        err.print(
            f"interrupted: {progress.done} of {progress.planned} matches done, results in "
            f"{db.path} (go on with: rafa tournament run CONFIG --db {db.path} --resume)",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(130)
    _summary(config, db, finished)


def elo_text(value: float | None) -> str:
    """An Elo figure for a table: ``+inf``/``-inf`` spelled out, ``-`` for none."""
    if value is None:
        return "-"
    if value in (math.inf, -math.inf):
        return "+inf" if value > 0 else "-inf"
    return f"{value:+.0f}"


def ratings_table(ratings: Standings, label: str) -> Table:
    """The standings: openskill (ranked by its ordinal) and Elo with its 95%
    interval; ``label`` says where the results came from (``TournamentDB.label``)."""
    table = Table(title=f"ratings ({label})", title_justify="left", caption_justify="left")
    for column in ("#", "participant", "games", "W-D-L", "score", "Elo", "95% CI", "mu", "sigma"):
        table.add_column(
            column, justify="left" if column == "participant" else "right", no_wrap=True
        )
    for rank, row in enumerate(ratings.rows, start=1):
        elo = row.elo
        table.add_row(
            str(rank),
            row.name,
            str(row.games),
            f"{row.wins}-{row.draws}-{row.losses}",
            "-" if elo.score is None else f"{elo.score:.3f}",
            elo_text(elo.elo),
            f"[{elo_text(elo.lower)}, {elo_text(elo.upper)}]",
            f"{row.mu:.2f}",
            f"{row.sigma:.2f}",
        )
    table.caption = (
        "Ranked by openskill's ordinal (mu - 3 sigma); Elo: performance against the field "
        "(logistic), 95% intervals over colour-swapped pairs (pentanomial)."
    )
    return table


def _summary(config: TournamentConfig, db: TournamentDB, progress: Progress) -> None:
    counts, skipped = db.counts(), db.skipped()
    names = [p.name for p in config.participants]
    label = db.label()
    out.print(ratings_table(standings(db.results(), names), label))
    out.print(
        f"{counts.finished} of {counts.planned} matches finished, {counts.failed} failed"
        + (f", {skipped} skipped (SPRT)" if skipped else "")
        + f" in {progress.elapsed:.1f} s ({progress.calls_per_s:.1f} LLM calls/s); "
        f"results in {db.path}; {label}",
        highlight=False,
        soft_wrap=True,
    )
    if label != "real LLM provider(s)":
        out.print(
            f"[{SIM_LABEL}] LLM calls answered by the simulated LLM make these results a "
            "simulation, not a measurement of any real model.",
            highlight=False,
            soft_wrap=True,
        )
    if counts.failed:
        out.print(
            f"{counts.failed} failed: see rafa tournament status {db.path}; "
            f"rerun them with rafa tournament retry-failed {db.path}",
            highlight=False,
            soft_wrap=True,
        )
    for pairing, decision in sorted(progress.decided.items()):
        out.print(f"SPRT {pairing}: {decision} accepted", highlight=False)


@tournament.command("run")
@play_options
def run_command(
    config_file: Annotated[Path, typer.Argument(help="The tournament config (TOML).")],
    db: Annotated[
        Path,
        option("The database to write (SQLite; made if new).", OUTPUT, "--db"),
    ],
    resume: Annotated[
        bool,
        option(
            "Go on with the tournament in --db: play what is left (matches a crash left "
            "running are played again).",
            EXECUTION,
        ),
    ] = False,
    force: Annotated[
        bool, option("Replace an existing --db with a new tournament.", OUTPUT, "--force")
    ] = False,
    play: PlayOptions = PLAY,
) -> None:
    """Play a tournament: its matches many at once, each written to --db as it ends."""
    if force and resume:
        fail("--force and --resume exclude each other: start afresh, or go on")
    try:
        config = load_tournament(config_file)
    except ConfigError as error:
        fail(error)
    where = _executor(config, play)
    try:
        if force:
            remove_database(db)
        database = TournamentDB.create(db, config, resume=resume)
    except ConfigError as error:
        fail(error)
    with database:
        _play(config, database, play, where)


@tournament.command("retry-failed")
@play_options
def retry_failed(db: DbArgument, play: PlayOptions = PLAY) -> None:
    """Play the failed matches of a tournament again (and anything left to play)."""
    with _open(db) as database:
        where = _executor(database.config, play)
        again = database.requeue("failed")
        err.print(f"retrying {again} failed match{'es' if again != 1 else ''}", highlight=False)
        _play(database.config, database, play, where)


@tournament.command("status")
def status(
    db: DbArgument,
    as_json: Annotated[
        bool,
        option(
            'Print {"planned": N, "finished": N, "failed": N, "running": N} and nothing else.',
            OUTPUT,
            "--json",
        ),
    ] = False,
) -> None:
    """How far a tournament is: matches planned, finished, failed and running."""
    with _open(db) as database:
        counts = database.counts()
        if as_json:
            sys.stdout.write(msgspec.json.encode(counts).decode() + "\n")
            return
        config = database.config
        out.print(
            f"[bold]{config.name}[/] ({config.format}; {database.label()}): "
            f"{counts.finished} finished, {counts.failed} failed, {counts.running} running, "
            f"{counts.planned - counts.finished - counts.failed - counts.running} to play, "
            f"of {counts.planned} planned; {database.skipped()} skipped by the SPRT",
            highlight=False,
            soft_wrap=True,
        )
        for match_id, error in database.failures():
            out.print(f"  failed {match_id}: {error}", highlight=False, soft_wrap=True)


@tournament.command("export")
def export(
    db: DbArgument,
    format: Annotated[ExportFormat, option("Output format.", OUTPUT, "--format")] = (
        ExportFormat.jsonl
    ),
    out_file: Annotated[
        Path | None, option("Write here instead of stdout.", OUTPUT, "--out")
    ] = None,
) -> None:
    """Every finished match as one JSON line: id, pairing, seats, result, moves, calls, cost."""
    with _open(db) as database:
        lines = (_export_line(row) for row in database.finished())
        if out_file is None:
            for line in lines:
                sys.stdout.write(line)
            return
        try:
            with out_file.open("w", encoding="utf-8") as f:
                f.writelines(lines)
        except OSError as error:
            fail(f"cannot write {out_file}: {error.strerror}")


def _export_line(row: dict[str, Any]) -> str:
    seats = row.pop("seats")
    scores: dict[str, float] = row.pop("scores")
    by_seat = {s.seat: s.participant for s in seats}
    first, second = row["first"], row["second"]
    score = row.pop("score")
    row["result"] = "draw" if score == 0.5 else ("first" if score > 0.5 else "second")
    row["winner"] = None if score == 0.5 else (first if score > 0.5 else second)
    row["seats"] = by_seat
    row["scores"] = {by_seat[seat]: value for seat, value in scores.items()}
    row["per_seat"] = {
        s.seat: {
            "participant": s.participant,
            "kind": s.kind,
            "provider": s.provider,
            "llm_calls": s.llm_calls,
            "failed_calls": s.failed_calls,
            "prompt_tokens": s.prompt_tokens,
            "completion_tokens": s.completion_tokens,
            "cost_usd": s.cost_usd,
            "late": s.late,
        }
        for s in seats
    }
    return msgspec.json.encode(row).decode() + "\n"
