"""``rafa curve``: success against environment interactions per agent, as the paper plots it."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from rafa_async._errors import ConfigError
from rafa_async._events import EventRecorder
from rafa_async.app import (
    AGENT_KINDS,
    COUNTINGS,
    PLOT_EXTRA,
    AgentCurve,
    CurveConfig,
    LLMOptions,
    can_plot,
    check_out_dir,
    run_curves,
    write_curves,
)
from rafa_async.cli._app import (
    app,
    fail,
    out,
    start_logging,
)
from rafa_async.cli._llm import LLM_OPTIONS, llm_caption, llm_options
from rafa_async.cli._options import (
    AGENT,
    EXECUTION,
    INFO_THRESHOLD,
    OUTPUT,
    TASKS,
    Backend,
    BackendOption,
    BeamOption,
    ForceOption,
    HouseholdTasksOption,
    InfoEstimatorOption,
    InfoThresholdOption,
    InstancesOption,
    LatencyScaleOption,
    LearnOption,
    LogFormat,
    LogFormatOption,
    LogLevelOption,
    NEvaluateOption,
    NGenerateOption,
    ProgressOption,
    PuzzlesOption,
    SwitchingOption,
    option,
)
from rafa_async.cli._run import benchmark_config, chosen_tasks
from rafa_async.cli._session import run_whole
from rafa_async.llm import SIM_LABEL
from rafa_async.scenarios import SCENARIOS, TaskRecord


class CountingChoice(StrEnum):
    ours = "ours"
    official = "official"


COUNTING_HELP = "How interactions are counted: " + "; ".join(
    f"{name}: {means}" for name, means in COUNTINGS.items()
)


def agent_list(text: str) -> tuple[str, ...]:
    """``rafa,tot`` as ``("rafa", "tot")``; one error line for an unknown or empty name."""
    names = tuple(name.strip() for name in text.split(","))
    if not all(names):
        fail(f"--agents must be a comma-separated list of agents, got {text!r}")
    for name in names:
        if name not in AGENT_KINDS:
            fail(f"--agents: unknown agent {name!r} (known: {', '.join(AGENT_KINDS)})")
    return names


@app.command()
@llm_options()
def curve(
    context: typer.Context,
    scenario: Annotated[str, typer.Argument(help="Benchmark to run (see `rafa scenarios`).")],
    agents: Annotated[
        str, option(f"Comma-separated agents, from: {', '.join(AGENT_KINDS)}.", AGENT)
    ] = "rafa,tot,reflexion",
    n_generate: NGenerateOption = 10,
    n_evaluate: NEvaluateOption = 3,
    beam: BeamOption = 1,
    switching: SwitchingOption = "every-step",
    info_threshold: InfoThresholdOption = INFO_THRESHOLD,
    info_estimator: InfoEstimatorOption = "confidence",
    learn: LearnOption = "raw",
    call_budget: Annotated[
        float | None,
        option(
            "LLM calls per task for tot-matched (default: RAFA's mean in this run; "
            "then rafa must be among --agents).",
            AGENT,
        ),
    ] = None,
    puzzles: PuzzlesOption = None,
    instances: InstancesOption = None,
    household_tasks: HouseholdTasksOption = None,
    seeds: Annotated[
        int, option("Runs per agent, seeded 0..SEEDS-1 (on a real LLM: repeats).", TASKS)
    ] = 5,
    cap: Annotated[
        int | None,
        option(
            "Environment interactions per task, and the curves' last point "
            "(default: the scenario's; 20 for game24, 12 for blocksworld).",
            TASKS,
        ),
    ] = None,
    counting: Annotated[CountingChoice, option(COUNTING_HELP, TASKS)] = CountingChoice.ours,
    llm: LLMOptions = LLM_OPTIONS,
    latency_scale: LatencyScaleOption = 1.0,
    backend: BackendOption = Backend.trio,
    concurrency: Annotated[
        int, option("Tasks (episodes) run at once, per agent and seed.", EXECUTION)
    ] = 25,
    out_dir: Annotated[
        Path,
        option("Directory for AGENT.csv, AGENT.json and curves.png (created).", OUTPUT, "--out"),
    ] = Path("curves"),
    force: ForceOption = False,
    log_format: LogFormatOption = LogFormat.console,
    log_level: LogLevelOption = "warning",
    progress: ProgressOption = True,
) -> None:
    """Success rate against environment interactions per agent, with 95% bands.

    Success within k = 1..cap interactions over several seeds, with 95%
    bands: a CSV and a JSON per agent and a PNG.

    Example: rafa curve game24 --agents rafa,tot,reflexion --seeds 5 --puzzles 901-1000
    --out curves/
    """
    start_logging(log_format, log_level)
    spec = chosen_tasks(
        scenario, {"--puzzles": puzzles, "--instances": instances, "--tasks": household_tasks}
    )
    run, resolved = benchmark_config(
        context,
        llm,
        backend,
        latency_scale,
        scenario=scenario,
        tasks=spec,
        n_generate=n_generate,
        n_evaluate=n_evaluate,
        beam=beam,
        switching=switching,
        info_threshold=info_threshold,
        info_estimator=info_estimator,
        learn=learn,
        max_steps=cap,
        call_budget=call_budget,
        concurrency=concurrency,
    )
    config = CurveConfig(agents=agent_list(agents), seeds=seeds, counting=counting.value, run=run)
    try:
        config.validate()
        tasks = len(SCENARIOS[scenario].tasks(spec))
        check_out_dir(out_dir, force=force)
    except ConfigError as error:
        fail(error)

    async def main(record: Callable[[TaskRecord], None]) -> list[AgentCurve]:
        return await run_curves(config, llm=llm, recorder=EventRecorder(), on_result=record)

    total = tasks * config.seeds * len(config.agents)
    started = time.perf_counter()
    curves = run_whole(
        main,
        caption=f"[bold]{scenario} · {agents}[/] [dim]({llm_caption(resolved)})[/]",
        total=total,
        unit="episodes",
        lost="no curve written",
        backend=backend.value,
        progress=progress,
    )
    written = write_curves(curves, out_dir)
    print_curves(curves, config)
    out.print(f"wall time {time.perf_counter() - started:.1f} s", highlight=False)
    for path in written:
        out.print(f"wrote {path}", highlight=False)
    if not can_plot():
        out.print(f"no PNG plot: it needs matplotlib, the plot extra ({PLOT_EXTRA})")


def print_curves(curves: Sequence[AgentCurve], config: CurveConfig) -> None:
    """A table: each agent's success at a few k and at the cap, with its band
    and LLM calls; the sim labelled; the counting said."""
    simulated = any(c.simulated for c in curves)
    if simulated:
        out.print(f"[bold yellow]{SIM_LABEL}[/]")
    cap = config.cap
    marks = sorted({k for k in (4, 8, 12, cap) if k <= cap})
    providers = ", ".join(
        dict.fromkeys("sim" if c.provider == SIM_LABEL else c.provider for c in curves)
    )
    title = f"{config.run.scenario} · success within k interactions · LLM {providers}"
    if simulated:
        title += " · [bold yellow]SIMULATED LLM[/]"
    table = Table(title=title, title_justify="left")
    for column in ("agent", *(f"k={k}" for k in marks), f"LLM calls by k={cap}"):
        table.add_column(column)
    for agent_curve in curves:
        points = {p.interactions: p for p in agent_curve.points}
        name = agent_curve.agent
        budget = agent_curve.parameters.get("call_budget")
        if budget is not None:
            name += f" (budget {budget:.1f})"
        table.add_row(
            name,
            *(
                f"{points[k].success:.0%} [{points[k].ci_low:.0%}, {points[k].ci_high:.0%}]"
                for k in marks
            ),
            f"{points[cap].llm_calls:.1f}",
        )
    out.print(table)
    out.print(
        f"counting: {config.counting} ({COUNTINGS[config.counting]}) · "
        f"{config.seeds} seed(s) x tasks {config.run.tasks} · "
        "95% Wilson bands over the pooled episodes",
        highlight=False,
    )
