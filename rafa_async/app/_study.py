"""Run a study: every part's agents over their seeds, at once, on one LLM stack.

The library form of ``rafa study paper``.  :func:`plan_study` turns a
:class:`~rafa_async.app.StudySpec` into runs -- one
:func:`~rafa_async.app.run_benchmark` per (part, column, seed) -- and says
what this build cannot run and why; :func:`run_study` runs them
concurrently through one :class:`~rafa_async.llm.MiddlewareStack` (one set
of rate limits, one cost meter, one cache) and gathers the success table,
the curves, the memory ablation and the learning curves::

    plan = plan_study(PAPER, seeds=5)
    async with open_llm(LLMOptions()) as llm:
        results = await run_study(plan, llm)

Each run samples under its seed (:func:`~rafa_async.sampling_seed`), so a
run's results depend on its seed, its tasks and the LLM, never on what ran
beside it: the same seed gives the same study on the sim.  That is also why
an interrupted study can be resumed: ``run_study(plan, llm, done=...)``
runs only the episodes ``done`` lacks (a journal's, see
:class:`~rafa_async.app.StudyJournal`) and its results are those of an
uninterrupted study.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import msgspec

from rafa_async._concurrency import for_each_limited
from rafa_async._context import sampling_seed
from rafa_async._errors import ConfigError
from rafa_async._events import EventRecorder
from rafa_async.app._agents import AGENT_KINDS
from rafa_async.app._benchmark import BenchmarkConfig, run_benchmark
from rafa_async.app._curves import CurveConfig, agent_curve
from rafa_async.app._run_settings import finished
from rafa_async.app._study_cost import CostLine
from rafa_async.app._study_results import (
    LearningContext,
    PartResult,
    StudyLearningCurve,
    StudyResults,
    Unavailable,
    memory_ablation,
    study_cell,
)
from rafa_async.app._study_spec import (
    LEARNING_RUNNERS,
    BenchmarkPart,
    LearningPart,
    StudyAgent,
    StudySpec,
)
from rafa_async.llm import SIM_LABEL, MiddlewareStack, total_cost
from rafa_async.scenarios import SCENARIOS, TaskRecord, get_scenario

SETTINGS = frozenset(BenchmarkConfig.__struct_fields__)
"""The settings a part or column may name."""


class StudyRun(msgspec.Struct, frozen=True, kw_only=True):
    """One (part, column, seed): a benchmark run."""

    row: str
    column: str
    seed: int
    config: BenchmarkConfig
    tasks: int


@dataclass(frozen=True, slots=True)
class StudyPlan:
    """What a study will run in this build, and what it cannot (with why)."""

    spec: StudySpec
    seeds: int
    quick: bool
    provider: str
    parts: list[tuple[BenchmarkPart, list[StudyAgent]]]
    """The parts that run, each with its columns that do."""
    runs: list[StudyRun]
    learning: list[LearningPart]
    unavailable: list[Unavailable] = field(default_factory=list)

    @property
    def episodes(self) -> int:
        return sum(run.tasks for run in self.runs)

    def cost_lines(self, done: StudyDone | None = None) -> list[CostLine]:
        """Each part's episodes, their bound on LLM calls, and its tokens.

        With ``done`` (``--resume``), only what is left to run: the episodes
        without a final record, and the learning protocols not yet kept."""
        done = done if done is not None else StudyDone()
        lines = []
        for part, _ in self.parts:
            runs = [r for r in self.runs if r.row == part.row]
            left = {run_key(r): r.tasks - len(done.kept(r)) for r in runs}
            calls = sum(left[run_key(r)] * (r.config.llm_call_budget or 0) for r in runs)
            lines.append(
                CostLine(
                    row=part.row,
                    episodes=sum(left.values()),
                    max_calls=calls,
                    prompt_tokens=calls * part.prompt_tokens,
                    completion_tokens=calls * part.completion_tokens,
                )
            )
        for protocol in self.learning:
            per_seed = protocol.quick_games_per_seed if self.quick else protocol.games_per_seed
            games = 0 if protocol.name in done.learning else self.seeds * per_seed
            calls = games * protocol.calls_per_game
            lines.append(
                CostLine(
                    row=protocol.title,
                    episodes=games,
                    max_calls=calls,
                    prompt_tokens=calls * protocol.prompt_tokens,
                    completion_tokens=calls * protocol.completion_tokens,
                    bound=False,
                )
            )
        return lines


def _part_problem(part: BenchmarkPart) -> str | None:
    if part.scenario not in SCENARIOS:
        needs = f": it needs {part.needs}" if part.needs else ""
        return f"benchmark {part.scenario!r} is not in this build{needs}"
    return None


def _config(
    part: BenchmarkPart, agent: StudyAgent, base: BenchmarkConfig, quick: bool
) -> BenchmarkConfig:
    """The run of ``agent`` on ``part`` (seed 0); :class:`ConfigError` why
    this build cannot run it."""
    if agent.agent not in AGENT_KINDS:
        raise ConfigError(f"agent kind {agent.agent!r} is not in this build")
    settings: dict[str, Any] = {**part.settings, **(part.quick_settings if quick else {})}
    settings = {**settings, **agent.settings}
    unknown = sorted(set(settings) - SETTINGS)
    if unknown:
        raise ConfigError(f"this build's runs have no setting {', '.join(map(repr, unknown))}")
    tasks = (part.quick_tasks if quick else None) or part.tasks
    settings.setdefault("llm_call_budget", part.llm_call_budget)
    config = msgspec.structs.replace(
        base,
        scenario=part.scenario,
        agent=agent.agent,
        tasks=tasks if tasks is not None else get_scenario(part.scenario).default_tasks,
        seed=0,
        **settings,
    )
    config.validate()
    return config


def plan_study(
    spec: StudySpec,
    *,
    seeds: int | None = None,
    quick: bool = False,
    base: BenchmarkConfig | None = None,
) -> StudyPlan:
    """``spec``'s runs in this build; ``seeds`` (default: the spec's) per
    (part, column); ``quick``: each part's tiny configuration; ``base``:
    what every run shares (provider label, LLM limits, the sim's latency,
    episodes at once).  :class:`ConfigError` if the declaration itself is
    wrong; a part or column this build cannot run is listed, not raised."""
    spec = spec if seeds is None else msgspec.structs.replace(spec, seeds=seeds)
    spec.validate()
    base = base if base is not None else BenchmarkConfig()
    parts: list[tuple[BenchmarkPart, list[StudyAgent]]] = []
    runs: list[StudyRun] = []
    unavailable: list[Unavailable] = []
    for part in spec.benchmarks:
        problem = _part_problem(part)
        if problem is not None:
            unavailable.append(Unavailable(part=part.row, reason=problem))
            continue
        columns = []
        for agent in part.agents:
            try:
                config = _config(part, agent, base, quick)
                tasks = len(get_scenario(part.scenario).tasks(config.tasks)[: config.max_tasks])
            except ConfigError as error:
                unavailable.append(
                    Unavailable(part=part.row, column=agent.column, reason=str(error))
                )
                continue
            columns.append(agent)
            runs += [
                StudyRun(
                    row=part.row,
                    column=agent.column,
                    seed=seed,
                    config=msgspec.structs.replace(config, seed=seed),
                    tasks=tasks,
                )
                for seed in range(spec.seeds)
            ]
        if columns:
            parts.append((part, columns))
    learning = []
    for protocol in spec.learning:
        if protocol.name in LEARNING_RUNNERS:
            learning.append(protocol)
        else:
            needs = f": it needs {protocol.needs}" if protocol.needs else ""
            reason = f"protocol {protocol.name!r} is not in this build{needs}"
            unavailable.append(Unavailable(part=protocol.title, reason=reason))
    return StudyPlan(
        spec=spec,
        seeds=spec.seeds,
        quick=quick,
        provider=base.provider,
        parts=parts,
        runs=runs,
        learning=learning,
        unavailable=unavailable,
    )


@dataclass(frozen=True, slots=True)
class StudyDone:
    """What a study already ran (read back from its journal,
    :func:`~rafa_async.app.read_journal`): :func:`run_study` runs only the rest."""

    episodes: Mapping[tuple[str, str, int], Mapping[str, TaskRecord]] = field(default_factory=dict)
    """The latest record of each task, by run (:func:`run_key`), then task id."""
    learning: Mapping[str, list[StudyLearningCurve]] = field(default_factory=dict)
    """The curves of each learning protocol that completed, by its name."""
    cost_usd: float | None = 0.0
    """What they spent (``None``: unknown), error records that run again included."""

    def kept(self, run: StudyRun) -> dict[str, TaskRecord]:
        """The final records of ``run`` (:func:`finished`): the tasks not to run again."""
        return {
            task: record
            for task, record in self.episodes.get(run_key(run), {}).items()
            if finished(record)
        }

    def count(self, plan: StudyPlan) -> int:
        """How many of ``plan``'s episodes are done (final)."""
        return sum(len(self.kept(run)) for run in plan.runs)


def run_key(run: StudyRun) -> tuple[str, str, int]:
    """A run's identity within its study: (row, column, seed)."""
    return run.row, run.column, run.seed


EpisodeEnded = Callable[[StudyRun, TaskRecord], None]
LearningEnded = Callable[[LearningPart, list[StudyLearningCurve], float | None], None]


async def run_study(
    plan: StudyPlan,
    llm: MiddlewareStack,
    *,
    recorder: EventRecorder | None = None,
    on_result: Callable[[TaskRecord], None] | None = None,
    done: StudyDone | None = None,
    on_episode: EpisodeEnded | None = None,
    on_learning: LearningEnded | None = None,
) -> StudyResults:
    """Every run of ``plan`` at once through ``llm``, then the learning protocols.

    ``on_result`` is called as each episode ends, after ``on_episode`` (with
    its run too: what a journal records).  ``done``: what an earlier,
    interrupted call already ran -- its final records are not run again, the
    learning protocols it holds are not redone (``on_learning`` is called as
    each one completes, with its curves and their cost), and the results are
    those of every record, kept and new, in task order.  Cancelling the
    caller cancels every run; a provider that becomes unavailable raises
    :class:`~rafa_async.ProviderUnavailable` (as
    :func:`~rafa_async.app.run_benchmark`)."""
    recorder = recorder if recorder is not None else EventRecorder()
    done = done if done is not None else StudyDone()
    started = anyio.current_time()
    records: dict[tuple[str, str], list[list[TaskRecord]]] = defaultdict(
        lambda: [[] for _ in range(plan.seeds)]
    )

    async def run(one: StudyRun) -> None:
        kept = done.kept(one)

        def ended(record: TaskRecord) -> None:
            if on_episode is not None:
                on_episode(one, record)
            if on_result is not None:
                on_result(record)

        new: list[TaskRecord] = []
        if len(kept) < one.tasks:
            with sampling_seed(one.seed):
                new, _ = await run_benchmark(
                    one.config, recorder=recorder, on_result=ended, llm=llm, skip=kept
                )
        records[one.row, one.column][one.seed] = _in_task_order(one, kept, new)

    await for_each_limited(plan.runs, max(1, len(plan.runs)), run)
    everything = [r for runs in records.values() for seed in runs for r in seed]
    simulated = (
        plan.provider == "sim" or llm.totals.simulated > 0 or any(r.simulated for r in everything)
    )
    provider = SIM_LABEL if plan.provider == "sim" else plan.provider
    context = LearningContext(
        llm=llm, provider=provider, simulated=simulated, seeds=plan.seeds, quick=plan.quick
    )
    learning: list[StudyLearningCurve] = []
    for protocol in plan.learning:
        curves = done.learning.get(protocol.name)
        if curves is None:
            before = llm.totals.cost
            curves = await LEARNING_RUNNERS[protocol.name](protocol, context)
            after = llm.totals.cost
            if on_learning is not None:
                spent = None if before is None or after is None else after - before
                on_learning(protocol, curves, spent)
        learning += curves
    parts = [_part_result(plan, part, columns, records) for part, columns in plan.parts]
    return StudyResults(
        study=plan.spec.name,
        provider=provider,
        simulated=simulated,
        seeds=plan.seeds,
        quick=plan.quick,
        parts=parts,
        ablations=[
            ablation
            for part, (declared, _) in zip(parts, plan.parts, strict=True)
            if declared.ablation is not None
            and (ablation := memory_ablation(part, declared.ablation)) is not None
        ],
        learning=learning,
        unavailable=list(plan.unavailable),
        llm_calls=sum(r.llm_calls for r in everything) + sum(c.llm_calls for c in learning),
        tokens=sum(r.tokens for r in everything),
        cost_usd=None if simulated else total_cost([llm.totals.cost, done.cost_usd]),
        wall_s=round(anyio.current_time() - started, 3),
    )


def _in_task_order(
    run: StudyRun, kept: Mapping[str, TaskRecord], new: Sequence[TaskRecord]
) -> list[TaskRecord]:
    """The records of ``run``, kept and new, in the order of its tasks."""
    latest = {**kept, **{record.task_id: record for record in new}}
    tasks = get_scenario(run.config.scenario).tasks(run.config.tasks)[: run.config.max_tasks]
    return [latest[task.id] for task in tasks if task.id in latest]


def _part_result(
    plan: StudyPlan,
    part: BenchmarkPart,
    columns: Sequence[StudyAgent],
    records: dict[tuple[str, str], list[list[TaskRecord]]],
) -> PartResult:
    first = next(r.config for r in plan.runs if r.row == part.row)
    budget = first.llm_call_budget or 0
    cells, curves = [], []
    for agent in columns:
        pooled = [r for seed in records[part.row, agent.column] for r in seed]
        cells.append(study_cell(agent.column, agent.agent, agent.settings, pooled, budget))
        config = next(r.config for r in plan.runs if (r.row, r.column) == (part.row, agent.column))
        curve_config = CurveConfig(agents=(agent.agent,), seeds=plan.seeds, run=config)
        curve = agent_curve(curve_config, agent.agent, pooled, config.call_budget)
        curves.append(msgspec.structs.replace(curve, agent=agent.column))
    return PartResult(
        row=part.row,
        scenario=part.scenario,
        tasks=first.tasks,
        seeds=list(range(plan.seeds)),
        llm_call_budget=budget,
        cap=first.max_steps or get_scenario(part.scenario).max_steps,
        settings={**part.settings, **(part.quick_settings if plan.quick else {})},
        paper=part.paper,
        paper_source=part.paper_source,
        cells=cells,
        curves=curves,
    )
