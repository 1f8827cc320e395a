"""``rafa run``: an agent on a benchmark's tasks, with a summary table."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Annotated, Any

import msgspec
import typer
from rich.table import Table

from rafa_async._errors import ConfigError
from rafa_async.adapters.alfworld import ALFWorldUnavailable, require_alfworld
from rafa_async.app import (
    AGENT_KINDS,
    NOT_RESULTS,
    BenchmarkConfig,
    BenchmarkSummary,
    LLMOptions,
    ResolvedLLM,
    build_llm,
    run_benchmark,
    summarize_benchmark,
)
from rafa_async.cli._app import (
    app,
    fail,
    log,
    out,
    refuse_info_gain_options,
    refuse_planner_options,
    sim_latency,
)
from rafa_async.cli._llm import (
    LLM_OPTIONS,
    check_llm,
    llm_options,
    print_llm_usage,
    refuse_sim_options,
)
from rafa_async.cli._options import (
    AGENT,
    EXECUTION,
    INFO_THRESHOLD,
    SIM,
    TASKS,
    AgentName,
    Backend,
    BackendOption,
    BeamOption,
    HouseholdTasksOption,
    InfoEstimatorOption,
    InfoThresholdOption,
    InstancesOption,
    LatencyScaleOption,
    LearnOption,
    MctsConcurrencyOption,
    MctsCOption,
    MctsSimulationsOption,
    MemoryOption,
    NEvaluateOption,
    NGenerateOption,
    PlannerOption,
    PuzzlesOption,
    SwitchingOption,
    option,
    task_spec,
)
from rafa_async.cli._session import OUTPUTS, Outputs, Served, Session, output_options
from rafa_async.llm import SIM_LABEL
from rafa_async.scenarios import SCENARIOS, TaskRecord, get_scenario

AGENT_HELP = ", ".join(f"{name} ({kind.description})" for name, kind in AGENT_KINDS.items())


@app.command()
@llm_options()
@output_options
def run(
    context: typer.Context,
    scenario: Annotated[str, typer.Argument(help="Benchmark to run (see `rafa scenarios`).")],
    agent: Annotated[AgentName, option(AGENT_HELP, AGENT)] = "rafa",
    planner: PlannerOption = "beam",
    n_generate: NGenerateOption = 10,
    n_evaluate: NEvaluateOption = 3,
    beam: BeamOption = 1,
    switching: SwitchingOption = "every-step",
    info_threshold: InfoThresholdOption = INFO_THRESHOLD,
    info_estimator: InfoEstimatorOption = "confidence",
    learn: LearnOption = "raw",
    mcts_simulations: MctsSimulationsOption = 32,
    mcts_concurrency: MctsConcurrencyOption = 4,
    mcts_c: MctsCOption = 1.0,
    memory: MemoryOption = True,
    call_budget: Annotated[
        float | None, option("LLM calls per task for tot-matched (compute-matched ToT).", AGENT)
    ] = None,
    puzzles: PuzzlesOption = None,
    instances: InstancesOption = None,
    household_tasks: HouseholdTasksOption = None,
    max_steps: Annotated[
        int | None,
        option(
            "Environment interactions per task (default: the scenario's; 20 for game24, "
            "twice the gold plan's length for blocksworld).",
            TASKS,
        ),
    ] = None,
    llm: LLMOptions = LLM_OPTIONS,
    seed: Annotated[int, option("Seed of the simulated LLM (same seed, same results).", SIM)] = 0,
    latency_scale: LatencyScaleOption = 1.0,
    backend: BackendOption = Backend.trio,
    concurrency: Annotated[int, option("Tasks (episodes) run at once.", EXECUTION)] = 25,
    outputs: Outputs = OUTPUTS,
) -> None:
    """Run an agent on a benchmark and print a summary table.

    Example: rafa run game24 --agent rafa --puzzles 901-1000 --seed 0 --out results.jsonl

    Example: rafa run blocksworld --agent rafa --instances step_4 --out results.jsonl

    Example: rafa run household --agent rafa --tasks pick_and_place --out results.jsonl
    """
    refuse_planner_options(context, planner)
    if scenario == "alfworld":
        fail(alfworld_refusal())
    tasks = chosen_tasks(
        scenario, {"--puzzles": puzzles, "--instances": instances, "--tasks": household_tasks}
    )
    config, resolved = benchmark_config(
        context,
        llm,
        backend,
        latency_scale,
        scenario=scenario,
        agent=agent,
        planner=planner,
        mcts_simulations=mcts_simulations,
        mcts_concurrency=mcts_concurrency,
        mcts_c=mcts_c,
        tasks=tasks,
        seed=seed,
        n_generate=n_generate,
        n_evaluate=n_evaluate,
        beam=beam,
        switching=switching,
        info_threshold=info_threshold,
        info_estimator=info_estimator,
        learn=learn,
        memory=memory,
        max_steps=max_steps,
        call_budget=call_budget,
        concurrency=concurrency,
    )
    try:
        config.validate()
        bench = SCENARIOS[scenario]
        ids = [task.id for task in bench.tasks(tasks)]
    except ConfigError as error:
        fail(error)
    session = Session(
        config,
        outputs,
        events={},
        ignore=NOT_RESULTS,
        record_type=bench.record_type,
        key=partial(task_key, bench.record_type),
    )
    log.info("run_started", **msgspec.to_builtins(config, builtin_types=()))

    async def benchmark(served: Served[TaskRecord]) -> tuple[list[TaskRecord], BenchmarkSummary]:
        def on_result(record: TaskRecord) -> None:
            served.on_record(record)
            log.debug("episode_ended", task=record.task_id, solved=record.solved)

        return await run_benchmark(
            config, recorder=served.trace, on_result=on_result, llm=served.llm, skip=served.skip
        )

    summary, shared = session.run_on_llm(
        benchmark,
        resolved,
        sim=partial(build_llm, config),
        seed=seed,
        title=f"{scenario} · {agent}",
        total=len(ids),
        backend=backend.value,
        summarize=partial(summarize_benchmark, config),
        tally=("solved", solved),
    )
    log.info("run_ended", **msgspec.to_builtins(summary))
    print_summary(summary, config, backend.value)
    session.print_files()
    print_llm_usage(shared, resolved)


def alfworld_refusal() -> str:
    """Why ``rafa run alfworld`` does not run: ALFWorld or its data set is
    missing (the usual case: this project cannot download it), or -- with
    both installed -- that the real ALFWorld runs from Python for now."""
    try:
        require_alfworld()
    except ALFWorldUnavailable as error:
        return str(error)
    return (
        "rafa run does not run the real ALFWorld yet; run its games from Python with "
        "rafa_async.adapters.alfworld (see docs/architecture.md)"
    )


def _spec_label(config: BenchmarkConfig) -> str:
    """What the task spec counts: game24's puzzles by rank, the others' own."""
    return "ranks" if config.scenario == "game24" else "tasks"


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


def _search(config: BenchmarkConfig) -> str:
    sizes = f"n_generate={config.n_generate} n_evaluate={config.n_evaluate}"
    if config.planner == "mcts":
        return (
            f"mcts {sizes} simulations={config.mcts_simulations} "
            f"concurrency={config.mcts_concurrency} c={config.mcts_c:g}"
        )
    return f"{sizes} b={config.beam}"


def solved(record: TaskRecord | Mapping[str, Any]) -> bool:
    """Whether a task was solved (a record, or a line of ``--out`` read back)."""
    return bool(record.get("solved") if isinstance(record, Mapping) else record.solved)


def chosen_tasks(scenario: str, selectors: dict[str, str | None]) -> str:
    """The task spec the selectors give (``--puzzles``, ``--instances``,
    ``--tasks``: :func:`task_spec`), else the scenario's default; one
    ``error:`` line for an unknown scenario or the wrong selector."""
    try:
        spec = task_spec(scenario, selectors)
        bench = get_scenario(scenario)
    except ConfigError as error:
        fail(error)
    return spec if spec is not None else bench.default_tasks


def benchmark_config(
    context: typer.Context,
    llm: LLMOptions,
    backend: Backend,
    latency_scale: float,
    **fields: Any,
) -> tuple[BenchmarkConfig, ResolvedLLM]:
    """The run a benchmark command's options describe (``fields``: the
    config's own), with the provider's label and limits, after the checks
    every such command makes: the LLM options, options only the in-process
    sim reads, options only ``--switching info-gain`` reads.  One ``error:``
    line on a failed check."""
    latency = sim_latency(latency_scale)
    resolved = check_llm(llm, backend=backend.value)
    refuse_sim_options(context, resolved)
    refuse_info_gain_options(context, fields["switching"])
    config = BenchmarkConfig(
        provider=resolved.label,
        max_llm_concurrency=resolved.settings.max_concurrency,
        llm_timeout=resolved.settings.timeout,
        latency=latency,
        **fields,
    )
    return config, resolved


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
) -> None:
    title = f"{summary.scenario} · {summary.agent}"
    if summary.simulated:
        title += " · [bold yellow]SIMULATED LLM[/]"
        out.print(f"[bold yellow]{SIM_LABEL}[/]")
    table = Table(title=title, title_justify="left", show_header=True)
    for column in ("metric", "value"):
        table.add_column(column)
    rows = [
        ("tasks", f"{summary.episodes} ({_spec_label(config)} {config.tasks})"),
        ("solved", f"{summary.solved}"),
        ("failed: provider error", _errored(summary)),
        ("success rate", _success(summary)),
        ("mean env steps", f"{summary.mean_env_steps:.2f}"),
        ("LLM calls", f"{summary.llm_calls} ({summary.llm_calls_per_episode:.1f} per task)"),
        ("LLM calls failed (provider errors)", f"{summary.failed_calls}"),
        ("tokens", f"{summary.tokens}"),
        ("wall time", f"{summary.wall_s:.2f} s"),
        ("search", _search(config)),
        ("backend / seed", f"{backend} / {config.seed}"),
    ]
    for metric, value in rows:
        table.add_row(metric, value)
    out.print(table)
