"""Run an agent over a benchmark's tasks, concurrently, and summarise.

This is the library form of ``rafa run``: build a :class:`BenchmarkConfig`
and ``await run_benchmark(config)`` from any anyio program (trio or asyncio);
the runner knows nothing of a particular benchmark (see
:class:`~rafa_async.scenarios.Benchmark`).

A provider that cannot serve the run (:class:`~rafa_async.ProviderUnavailable`:
a rejected key, an unknown model, the circuit breaker after too many calls
failing in a row) stops it: every record of a finished task has been passed
to ``on_result``, the task(s) it stopped get a record with status ``"error"``,
and the tasks still running are cancelled (no record: they were interrupted,
not finished).  See :class:`~rafa_async.scenarios.TaskRecord` for what each
status means; each benchmark's record adds its task's fields
(:class:`~rafa_async.scenarios.game24.Game24Record`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

import anyio
import msgspec

from rafa_async._concurrency import first_leaf, for_each_limited
from rafa_async._context import CallCounts, episode_scope
from rafa_async._env import Environment, EpisodeDriver, Outcome
from rafa_async._errors import ConfigError, ProviderUnavailable
from rafa_async._events import EpisodeEnded, EpisodeStarted, EventRecorder
from rafa_async.agents import Agent
from rafa_async.app._agents import (
    AgentOptions,
    EstimatorKind,
    LearnKind,
    PlannerKind,
    SwitchingKind,
    check_agent,
    check_agent_options,
    check_memory,
    check_planner,
    make_agent,
)
from rafa_async.app._budget import CallBudget, CallBudgetSpent
from rafa_async.app._llm import LLMOptions, run_llm
from rafa_async.llm import LLM, SIM_LABEL, LatencyModel, NoiseModel, SimLLM, total_cost
from rafa_async.scenarios import Task, TaskRecord, TaskStatus, get_scenario, simulated_llm

S = TypeVar("S")


class BenchmarkConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Everything that determines a run's results (with the sim: all of them)."""

    scenario: str = "game24"
    agent: str = "rafa"
    """A name in :data:`~rafa_async.app.AGENT_KINDS`."""
    provider: str = "sim"
    tasks: str = "901-1000"
    max_tasks: int | None = None
    """Run only the first ``max_tasks`` tasks of :attr:`tasks` (a study's
    ``--quick``, whatever the benchmark's selection syntax); ``None``: all."""
    seed: int = 0
    n_generate: int = 10
    n_evaluate: int = 3
    beam: int = 1
    switching: SwitchingKind = "every-step"
    info_threshold: float = math.log(2)
    info_estimator: EstimatorKind = "confidence"
    learn: LearnKind = "raw"
    max_steps: int | None = None
    call_budget: float | None = None
    """LLM calls per task for ``tot-matched`` (:attr:`AgentOptions.call_budget`)."""
    planner: PlannerKind = "beam"
    """The agent's tree search (:data:`~rafa_async.app.PLANNER_KINDS`)."""
    mcts_simulations: int = 32
    mcts_concurrency: int = 4
    mcts_c: float = 1.0
    memory: bool = True
    """``False``: RAFA stores nothing and plans from an empty memory
    (:attr:`AgentOptions.memory`)."""
    llm_call_budget: int | None = None
    """The LLM calls each episode may start (:class:`~rafa_async.app.CallBudget`):
    the first call past it ends the episode, scored as it stands; ``None``: no bound."""
    concurrency: int = 25
    max_llm_concurrency: int = 256
    llm_timeout: float = 120.0
    noise: NoiseModel | None = None
    latency: LatencyModel = LatencyModel()

    def validate(self) -> None:
        get_scenario(self.scenario)
        kind = check_agent(self.agent)
        check_agent_options(self.agent_options)
        check_planner(self.agent, self.agent_options)
        check_memory(self.agent, self.agent_options)
        if self.max_tasks is not None and self.max_tasks < 1:
            raise ConfigError("max_tasks must be >= 1", fields=("max_tasks",))
        if self.llm_call_budget is not None and self.llm_call_budget < 1:
            raise ConfigError("llm_call_budget must be >= 1", fields=("llm_call_budget",))
        if self.call_budget is not None and not self.call_budget > 0:
            raise ConfigError("call_budget must be > 0", fields=("call_budget",))
        if kind.needs_call_budget and self.call_budget is None:
            raise ConfigError(
                f"agent {self.agent} needs call_budget (LLM calls per task)",
                fields=("call_budget",),
            )
        for name in ("n_generate", "n_evaluate", "beam", "concurrency", "max_llm_concurrency"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1", fields=(name,))
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError("max_steps must be >= 1", fields=("max_steps",))

    @property
    def agent_options(self) -> AgentOptions:
        """How this run's agent searches."""
        return AgentOptions(
            n_generate=self.n_generate,
            n_evaluate=self.n_evaluate,
            beam=self.beam,
            switching=self.switching,
            info_threshold=self.info_threshold,
            info_estimator=self.info_estimator,
            learn=self.learn,
            call_budget=self.call_budget,
            planner=self.planner,
            mcts_simulations=self.mcts_simulations,
            mcts_concurrency=self.mcts_concurrency,
            mcts_c=self.mcts_c,
            memory=self.memory,
        )


NOT_RESULTS = ("concurrency", "max_llm_concurrency", "llm_timeout", "latency")
"""The settings of a :class:`BenchmarkConfig` that change how fast a run
goes, not its results: a resumed run (``rafa run --resume``, ``rafa study
paper --resume``) may change them."""


class BenchmarkSummary(msgspec.Struct, kw_only=True):
    scenario: str
    agent: str
    provider: str
    simulated: bool
    episodes: int
    solved: int
    errors: int = 0
    """Tasks whose status is ``"error"`` (a provider error, not the model)."""
    success_rate: float
    """Solved over all tasks, errored ones included (see ``errors``)."""
    mean_env_steps: float
    llm_calls: int
    llm_calls_per_episode: float
    failed_calls: int
    tokens: int
    cost_usd: float | None
    wall_s: float


class MeteredDriver(EpisodeDriver[S]):
    """An episode driver that notes, at each interaction, the LLM calls its
    episode had started (``calls``: the episode scope's counts) and whether
    the environment accepted it: a record's ``step_calls`` and
    ``step_accepted``, from which sample-efficiency curves are read."""

    def __init__(
        self,
        env: Environment[S],
        *,
        episode: str,
        max_steps: int,
        recorder: EventRecorder,
        calls: CallCounts,
    ) -> None:
        super().__init__(env, episode=episode, max_steps=max_steps, recorder=recorder)
        self._calls = calls
        self.step_calls: list[int] = []
        self.step_accepted: list[bool] = []

    def act(self, action: str) -> Outcome[S]:
        outcome = super().act(action)
        self.step_calls.append(self._calls.started)
        self.step_accepted.append(outcome.accepted)
        return outcome


def build_llm(config: BenchmarkConfig) -> SimLLM:
    return simulated_llm(seed=config.seed, noise=config.noise, latency=config.latency)


def build_agent(config: BenchmarkConfig, llm: LLM) -> Agent[Any]:
    """The agent of one task of ``config``'s run (:func:`~rafa_async.app.make_agent`)."""
    return make_agent(config.agent, config.agent_options, llm, get_scenario(config.scenario))


async def run_task(
    config: BenchmarkConfig, llm: LLM, task: Task, recorder: EventRecorder
) -> tuple[TaskRecord, ProviderUnavailable | None]:
    """One episode of ``config.agent`` on ``task``, accounted in its own scope:
    its record, and the :class:`~rafa_async.ProviderUnavailable` that stopped
    it, if one did (the record's status is then ``"error"``; the caller
    decides what stopping means)."""
    scenario = get_scenario(config.scenario)
    episode = f"{scenario.name}-{task.id}"
    max_steps = config.max_steps or scenario.task_max_steps(task)
    stopped: ProviderUnavailable | None = None
    with episode_scope(episode) as scope:
        driver = MeteredDriver(
            scenario.make_env(task),
            episode=episode,
            max_steps=max_steps,
            recorder=recorder,
            calls=scope.calls,
        )
        budget = config.llm_call_budget
        agent = build_agent(config, llm if budget is None else CallBudget(llm, budget))
        recorder.emit(
            EpisodeStarted(
                episode=episode, scenario=scenario.name, agent=agent.name, task=task.text
            )
        )
        started = anyio.current_time()
        try:
            await agent.run(driver)
        except* ProviderUnavailable as group:
            stopped = first_leaf(group)
        except* CallBudgetSpent:
            pass  # the budget ended the episode: it is scored as it stands
        wall = anyio.current_time() - started
    answer = driver.env.answer(driver.state)
    calls = scope.calls
    status, error = task_status(driver.solved, calls, stopped)
    recorder.emit(
        EpisodeEnded(
            episode=episode,
            solved=driver.solved,
            reward=driver.reward,
            env_steps=driver.steps,
            llm_calls=calls.started,
            answer=answer,
            error=error,
        )
    )
    result = TaskRecord(
        scenario=scenario.name,
        agent=agent.name,
        solved=driver.solved,
        status=status,
        error=error,
        env_steps=driver.steps,
        llm_calls=calls.started,
        failed_calls=calls.failed,
        tokens=calls.tokens,
        wall_s=round(wall, 4),
        simulated=config.provider == "sim" or calls.simulated > 0,
        cost_usd=calls.cost,
        step_calls=driver.step_calls,
        step_accepted=driver.step_accepted,
    )
    return scenario.record(task, result, answer), stopped


def task_status(
    solved: bool, calls: CallCounts, stopped: ProviderUnavailable | None
) -> tuple[TaskStatus, str | None]:
    """A task's status and error message (see :class:`~rafa_async.scenarios.TaskRecord`)."""
    if stopped is not None:
        return "error", str(stopped)
    if not solved and calls.none_answered:
        return "error", f"no LLM call was answered; the last failed with {calls.last_error}"
    return ("solved" if solved else "unsolved"), None


async def run_benchmark(
    config: BenchmarkConfig,
    *,
    recorder: EventRecorder | None = None,
    on_result: Callable[[TaskRecord], None] | None = None,
    llm: LLM | None = None,
    skip: Collection[str] = (),
) -> tuple[list[TaskRecord], BenchmarkSummary]:
    """Run every task with at most ``config.concurrency`` episodes at once.

    ``llm``: a ready :class:`~rafa_async.llm.MiddlewareStack`, used as it is
    (e.g. from :func:`~rafa_async.app.open_llm`: rate limits, cache,
    cassettes...); or a provider, put in the standard middleware; by default
    :func:`~rafa_async.app.open_llm` of the sim of ``config``.  ``on_result`` is
    called as each episode ends (in completion order); the returned records
    are in task order.  Cancelling the caller cancels every episode and every
    LLM call in flight.  A provider that becomes unavailable raises
    :class:`~rafa_async.ProviderUnavailable` once its episode's error record
    has gone to ``on_result`` (see the module docstring).  The tasks whose
    id is in ``skip`` are not run (``rafa run --resume``: their records exist).
    """
    config.validate()
    selected = get_scenario(config.scenario).tasks(config.tasks)[: config.max_tasks]
    tasks = [t for t in selected if t.id not in skip]
    recorder = recorder if recorder is not None else EventRecorder()
    options = LLMOptions(max_concurrency=config.max_llm_concurrency, timeout=config.llm_timeout)
    results: list[TaskRecord | None] = [None] * len(tasks)
    started = anyio.current_time()
    async with run_llm(
        llm,
        options,
        provider=config.provider,
        sim=lambda: build_llm(config),
        recorder=recorder,
        seed=config.seed,
    ) as stack:

        async def run(indexed: tuple[int, Task]) -> None:
            index, task = indexed
            record, stopped = await run_task(config, stack, task, recorder)
            results[index] = record
            if on_result is not None:
                on_result(record)
            if stopped is not None:
                raise stopped

        await for_each_limited(list(enumerate(tasks)), config.concurrency, run)
    records = [r for r in results if r is not None]
    return records, summarize_benchmark(config, records, anyio.current_time() - started)


def summarize_benchmark(
    config: BenchmarkConfig, records: Sequence[TaskRecord], wall: float
) -> BenchmarkSummary:
    n = len(records)
    solved = sum(r.solved for r in records)
    calls = sum(r.llm_calls for r in records)
    return BenchmarkSummary(
        scenario=config.scenario,
        agent=config.agent,
        provider=SIM_LABEL if config.provider == "sim" else config.provider,
        simulated=any(r.simulated for r in records) or config.provider == "sim",
        episodes=n,
        solved=solved,
        errors=sum(r.status == "error" for r in records),
        success_rate=solved / n if n else 0.0,
        mean_env_steps=sum(r.env_steps for r in records) / n if n else 0.0,
        llm_calls=calls,
        llm_calls_per_episode=calls / n if n else 0.0,
        failed_calls=sum(r.failed_calls for r in records),
        tokens=sum(r.tokens for r in records),
        cost_usd=total_cost(r.cost_usd for r in records),
        wall_s=round(wall, 3),
    )
