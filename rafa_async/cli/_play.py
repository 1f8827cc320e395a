"""``rafa play``: shared matches between RAFA, baselines and fixed opponents."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from rafa_async._errors import ConfigError
from rafa_async._plural import plural
from rafa_async.app import (
    LLMOptions,
    MatchRecord,
    PlayConfig,
    SeriesSummary,
    play_series,
    summarize_series,
    uses_llm,
)
from rafa_async.cli._app import app, fail, out, sim_latency
from rafa_async.cli._llm import (
    LLM_OPTIONS,
    check_llm,
    llm_options,
    print_llm_usage,
    refuse_sim_options,
)
from rafa_async.cli._options import (
    OUTPUT,
    SIM,
    Backend,
    BackendOption,
    LatencyScaleOption,
    option,
)
from rafa_async.cli._replay import replay_series
from rafa_async.cli._session import OUTPUTS, Outputs, Served, Session, output_options
from rafa_async.llm import SIM_LABEL
from rafa_async.scenarios import GAMES, get_game, simulated_llm

SEATS = "Seats"
SERIES = "Series"
RAFA = "RAFA"


def parse_seats(game: str, x: str | None, o: str | None, seat: list[str]) -> dict[str, str]:
    """Each seat's kind of player: the game's defaults, overridden by ``--x``,
    ``--o`` and ``--seat NAME=KIND``; a seat named twice is an error (which of
    the two was meant cannot be guessed)."""
    spec = get_game(game)
    seats: dict[str, str] = {}
    given: dict[str, str] = {}  # seat -> the option that named it

    def add(name: str, kind: str, said: str) -> None:
        if name in given:
            raise ConfigError(f"seat {name} is given twice: {given[name]} and {said}")
        seats[name], given[name] = kind, said

    for shortcut, value in (("X", x), ("O", o)):
        if value is None:
            continue
        if shortcut not in spec.seats:
            raise ConfigError(
                f"--{shortcut.lower()} is for tictactoe; {game} seats are "
                f"{', '.join(spec.seats)} (use --seat NAME=KIND)"
            )
        add(shortcut, value, f"--{shortcut.lower()} {value}")
    for item in seat:
        name, sep, kind = item.partition("=")
        if not sep or not name or not kind:
            raise ConfigError(f"bad --seat {item!r}: use NAME=KIND, e.g. --seat R=rafa")
        add(name, kind, f"--seat {item}")
    return {**spec.default_seats, **seats}


@app.command()
@llm_options()
@output_options
def play(
    context: typer.Context,
    game: Annotated[
        str | None, typer.Argument(help=f"Game to play: {', '.join(GAMES)}.", show_default=False)
    ] = None,
    x: Annotated[
        str | None,
        option(
            "Tic-Tac-Toe seat X: rafa, direct, llm-fixed, rafa-search, random, perfect.",
            SEATS,
            "--x",
        ),
    ] = None,
    o: Annotated[str | None, option("Tic-Tac-Toe seat O.", SEATS, "--o")] = None,
    seat: Annotated[
        list[str] | None,
        option("Any game's seat as NAME=KIND (repeatable), e.g. R=rafa.", SEATS, "--seat"),
    ] = None,
    episodes: Annotated[int, option("Evaluation matches.", SERIES)] = 20,
    train: Annotated[
        int, option("Training matches first; LLM players keep their memory.", SERIES)
    ] = 0,
    concurrency: Annotated[int, option("Evaluation matches played at once.", SERIES)] = 8,
    rotate: Annotated[
        bool,
        option(
            "Rotate the players through the seats every match (X and O swap), and report "
            "per player.",
            SERIES,
        ),
    ] = False,
    move_timeout: Annotated[
        float | None, option("Seconds per move; a late player gets a fallback move.", SERIES)
    ] = None,
    llm: LLMOptions = LLM_OPTIONS,
    seed: Annotated[int, option("Seed of the sim and the policies.", SIM)] = 0,
    n_candidates: Annotated[int, option("RAFA: moves proposed per decision.", RAFA)] = 5,
    speculate: Annotated[
        bool, option("RAFA: plan for the predicted reply while the opponent thinks.", RAFA)
    ] = False,
    latency_scale: LatencyScaleOption = 1.0,
    backend: BackendOption = Backend.trio,
    log: Annotated[
        Path | None,
        option("Match log (host events) for --replay; *.msgpack for msgpack frames.", OUTPUT),
    ] = None,
    replay_log: Annotated[
        Path | None,
        option("Re-run a recorded match log and verify every match's hash.", OUTPUT, "--replay"),
    ] = None,
    outputs: Outputs = OUTPUTS,
) -> None:
    """Play a series of shared matches and print win/draw/loss per seat.

    Example: rafa play tictactoe --x rafa --o random --episodes 20 --train 5 --speculate
    """
    if replay_log is not None:
        replay_series(
            context,
            replay_log,
            llm,
            backend=backend,
            latency_scale=latency_scale,
            progress=outputs.progress,
        )
        return
    if game is None:
        fail(f"name a game ({', '.join(GAMES)}) or give --replay LOG")
    latency = sim_latency(latency_scale)
    try:
        seats = parse_seats(game, x, o, seat or [])
    except ConfigError as error:
        fail(error)
    resolved = check_llm(
        llm, backend=backend.value, uses_llm=any(uses_llm(kind) for kind in seats.values())
    )
    refuse_sim_options(context, resolved)
    try:
        config = PlayConfig(
            game=game,
            seats=seats,
            episodes=episodes,
            train=train,
            seed=seed,
            provider=resolved.label,
            llm_concurrency=resolved.settings.max_concurrency,
            n_candidates=n_candidates,
            speculate=speculate,
            concurrency=concurrency,
            move_timeout=move_timeout,
            rotate=rotate,
            latency=latency,
        )
        config.validate()
    except ConfigError as error:
        fail(error)
    session = Session(
        config,
        outputs,
        events={"--log": log},
        ignore=not_results(config),
        record_type=MatchRecord,
        key=match_key,
    )

    async def series(served: Served[MatchRecord]) -> tuple[list[MatchRecord], SeriesSummary]:
        (log_sink,) = served.sinks
        return await play_series(
            config,
            log=log_sink,
            on_match=served.on_record,
            trace=served.trace,
            llm=served.llm,
            skip=served.skip,
        )

    summary, shared = session.run_on_llm(
        series,
        resolved,
        sim=partial(simulated_llm, seed=config.seed, noise=config.noise, latency=latency),
        seed=seed,
        title=game,
        total=config.train + config.episodes,
        backend=backend.value,
        summarize=partial(summarize_series, config),
    )
    print_series(summary, config)
    if any(uses_llm(kind) for kind in config.seats.values()):
        print_llm_usage(shared, resolved)
    session.print_files(
        *([f"match log: {log} (verify with: rafa play --replay {log})"] if log else [])
    )


def not_results(config: PlayConfig) -> tuple[str, ...]:
    """Settings that change how fast a series goes, not its results (--resume
    may change them): speculation never changes a decision, and without move
    deadlines neither does the sim's latency."""
    timing = ("concurrency", "llm_concurrency", "speculate")
    return timing if config.move_timeout is not None else (*timing, "latency")


def match_key(record: MatchRecord | Mapping[str, Any]) -> str:
    """A record's match, as ``--resume`` matches them."""
    return str(record["match"] if isinstance(record, Mapping) else record.match)


def print_series(summary: SeriesSummary, config: PlayConfig) -> None:
    """The seats' table (evaluation matches only, as its title says) and a
    line on every match of the series, training included."""
    evaluated = plural(summary.evaluation_matches, "evaluation match", "evaluation matches")
    title = f"{summary.game} · {evaluated}"
    if summary.training_matches:
        title += f" (after {summary.training_matches} training)"
    if config.rotate:
        title += " · seats rotate every match"
    if summary.simulated and any(uses_llm(k) for k in config.seats.values()):
        out.print(f"[bold yellow]{SIM_LABEL}[/]")
        title += " · [bold yellow]SIMULATED LLM[/]"
    # A line of its own: a table's title wraps at the (narrow) table's width.
    out.print(title, style="italic", highlight=False)
    table = Table()
    share = get_game(config.game).scoring == "share"
    columns = ("seat", "player") + (() if share else ("wins", "draws", "losses")) + ("mean score",)
    for column in columns:
        table.add_column(column)
    for s in summary.seats:
        counts = () if share else (str(s.wins), str(s.draws), str(s.losses))
        mean = "n/a" if s.mean_score is None else f"{s.mean_score:.2f}"
        table.add_row(s.seat, s.kind, *counts, mean)
    out.print(table)
    if summary.errors:
        out.print(
            f"[bold red]{plural(summary.errors, 'match', 'matches')} failed with a provider "
            "error[/] (status error in the results; left out of the table above)",
            highlight=False,
        )
    played = summary.training_matches + summary.evaluation_matches + summary.errors
    matches = plural(played, "match", "matches")
    if summary.training_matches or summary.errors:
        parts = [f"{summary.training_matches} training", f"{summary.evaluation_matches} evaluation"]
        if summary.errors:
            parts.append(f"{summary.errors} failed")
        matches += f" ({', '.join(parts)})"
    hit_rate = summary.speculation_hit_rate
    out.print(
        f"{matches}: LLM calls {summary.llm_calls} · plans {summary.plans} "
        f"({summary.plans_cancelled} cancelled as stale) · speculation hit rate "
        f"{'n/a' if hit_rate is None else f'{hit_rate:.0%}'} · wall {summary.wall_s:.2f} s",
        highlight=False,
    )
