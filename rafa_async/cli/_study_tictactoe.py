"""``rafa study tictactoe``: the paper's Tic-Tac-Toe protocol and its learning curve."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rafa_async._errors import ConfigError
from rafa_async.app import (
    PLOT_EXTRA,
    LearningCurve,
    LLMOptions,
    ProtocolGame,
    TTTProtocolConfig,
    can_plot,
    check_out_dir,
    run_ttt_protocol,
    write_learning_curve,
)
from rafa_async.cli._app import fail, out, sim_latency
from rafa_async.cli._llm import LLM_OPTIONS, check_llm, llm_caption, refuse_sim_options
from rafa_async.cli._options import (
    EXECUTION,
    OUTPUT,
    TASKS,
    Backend,
    BackendOption,
    ForceOption,
    LatencyScaleOption,
    ProgressOption,
    option,
)
from rafa_async.cli._session import run_whole
from rafa_async.llm import SIM_LABEL

RAFA = "RAFA"


def b_list(text: str) -> tuple[int, ...]:
    """``3,4,5`` as ``(3, 4, 5)``; one error line for anything else."""
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        fail(f"--b must be a comma-separated list of whole numbers, e.g. 3,4,5; got {text!r}")
    return values


def study_tictactoe(
    context: typer.Context,
    b: Annotated[str, option("Proposals per node of RAFA's search, one curve each.", RAFA)] = (
        "3,4,5"
    ),
    seeds: Annotated[
        int, option("Runs per B, seeded 0..SEEDS-1 (with the sim: different models).", TASKS)
    ] = 3,
    train_episodes: Annotated[
        int, option("Training games against the fixed LLM opponent.", TASKS)
    ] = 10,
    eval_games: Annotated[
        int, option("Evaluation games before training and after every training game.", TASKS)
    ] = 10,
    max_depth: Annotated[
        int | None, option("RAFA's own moves searched ahead (default: to the end).", RAFA)
    ] = None,
    llm: LLMOptions = LLM_OPTIONS,
    latency_scale: LatencyScaleOption = 0.0,
    backend: BackendOption = Backend.trio,
    concurrency: Annotated[int, option("Evaluation games played at once.", EXECUTION)] = 10,
    out_dir: Annotated[
        Path, option("Directory for curve.json and curve.png (created).", OUTPUT, "--out")
    ] = Path("study-tictactoe"),
    force: ForceOption = False,
    progress: ProgressOption = True,
) -> None:
    """Tic-Tac-Toe as the paper runs it: RAFA (O) learns against a fixed LLM (X).

    RAFA searches to the end of the game with B proposals per node and learns
    only from mispredictions; it is evaluated before training and after every
    training game.  Writes curve.json (every game and the curve per B) and
    curve.png (score vs training episodes with 95% bands over the seeds).

    Example: rafa study tictactoe --b 3,4,5 --seeds 3 --train-episodes 10 --eval-games 10
    --out study/
    """
    resolved = check_llm(llm, backend=backend.value)
    refuse_sim_options(context, resolved)
    config = TTTProtocolConfig(
        b_values=b_list(b),
        seeds=seeds,
        train_episodes=train_episodes,
        eval_games=eval_games,
        max_depth=max_depth,
        provider=llm.provider,
        concurrency=concurrency,
        latency=sim_latency(latency_scale),
    )
    try:
        config.validate()
        check_out_dir(out_dir, force=force)
    except ConfigError as error:
        fail(error)

    async def main(record: Callable[[ProtocolGame], None]) -> LearningCurve:
        return await run_ttt_protocol(config, llm=llm, on_game=record)

    started = time.perf_counter()
    curve = run_whole(
        main,
        caption=f"[bold]tictactoe study · B={b}[/] [dim]({llm_caption(resolved)})[/]",
        total=config.games,
        unit="games",
        lost="no curve written",
        backend=backend.value,
        progress=progress,
    )
    written = write_learning_curve(curve, out_dir)
    print_learning_curve(curve)
    out.print(f"wall time {time.perf_counter() - started:.1f} s", highlight=False)
    for path in written:
        out.print(f"wrote {path}", highlight=False)
    if not can_plot():
        out.print(f"no PNG plot: it needs matplotlib, the plot extra ({PLOT_EXTRA})")


def print_learning_curve(curve: LearningCurve) -> None:
    """One row per evaluation point, one column per B: mean score and band."""
    if curve.simulated:
        out.print(f"[bold yellow]{SIM_LABEL}[/]")
    provider = "sim" if curve.provider == SIM_LABEL else curve.provider
    title = (
        f"tictactoe · RAFA ({curve.rafa_seat}) vs {curve.opponent} · mean score (1 win, "
        f"0 draw, -1 loss) [95% band] · LLM {provider}"
    )
    if curve.simulated:
        title += " · [bold yellow]SIMULATED LLM[/]"
    out.print(title, style="italic", highlight=False)
    table = Table()
    table.add_column("after training episodes")
    for b_curve in curve.curves:
        table.add_column(f"B={b_curve.b}")
    for i, point in enumerate(curve.curves[0].points):
        row = [str(point.episode)]
        for b_curve in curve.curves:
            p = b_curve.points[i]
            row.append(f"{p.mean:+.2f} [{p.ci_low:+.2f}, {p.ci_high:+.2f}]")
        table.add_row(*row)
    out.print(table)
    config = curve.config
    calls = " · ".join(f"B={c.b}: {c.llm_calls}" for c in curve.curves)
    out.print(
        f"{config.seeds} seed(s) x {config.eval_games} evaluation games per point · "
        f"LLM calls {calls}",
        highlight=False,
    )
