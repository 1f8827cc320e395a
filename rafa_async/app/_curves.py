"""Run the agents of a sample-efficiency plot, over several seeds, and draw their curves.

The library form of ``rafa curve``: build a :class:`CurveConfig` and
``await run_curves(config)``.  Every (agent, seed) pair is one
:func:`~rafa_async.app.run_benchmark` over the same tasks, with the same
prompts, simulator settings and interaction cap; each agent's episodes,
pooled over the seeds, make its :class:`AgentCurve`
(:func:`~rafa_async.app.curve_points`).

The compute-matched ToT (``tot-matched``) gets ``call_budget`` LLM calls per
task; without one, RAFA's mean calls per task in the same run (RAFA then
runs first).  A mean, not each puzzle's own spend: giving ToT more calls
exactly where RAFA struggled would hand it RAFA's feedback by the back door.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import msgspec

from rafa_async._concurrency import for_each_limited
from rafa_async._errors import ConfigError
from rafa_async._events import EventRecorder
from rafa_async.app._agents import AGENT_KINDS, check_agent
from rafa_async.app._benchmark import BenchmarkConfig, build_llm, run_benchmark
from rafa_async.app._curve import COUNTINGS, Counting, CurvePoint, curve_points
from rafa_async.app._llm import LLMOptions, open_llm
from rafa_async.llm import SIM_LABEL
from rafa_async.scenarios import TaskRecord, get_scenario

MATCHED_TO = "rafa"
"""The agent whose mean LLM calls per task ``tot-matched`` is given by default."""


class CurveConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Everything that determines a plot's curves (with the sim: all of it)."""

    agents: tuple[str, ...] = ("rafa", "tot", "reflexion")
    """Names in :data:`~rafa_async.app.AGENT_KINDS`, each once."""
    seeds: int = 5
    """Runs per agent, seeded 0..seeds-1 (on a real LLM: independent repeats)."""
    counting: Counting = "ours"
    run: BenchmarkConfig = BenchmarkConfig()
    """What every (agent, seed) run shares -- scenario, tasks, provider,
    search parameters, the interaction cap (``max_steps``: also the curves'
    last point), ``call_budget`` for ``tot-matched`` (``None``: RAFA's mean
    in this run) -- its ``agent`` and ``seed`` replaced by each run's."""

    def validate(self) -> None:
        """:class:`ConfigError` naming the first problem."""
        if not self.agents:
            raise ConfigError("agents must name at least one agent", fields=("agents",))
        for agent in self.agents:
            check_agent(agent)
        twice = sorted({a for a in self.agents if self.agents.count(a) > 1})
        if twice:
            raise ConfigError(f"agents names {', '.join(twice)} twice", fields=("agents",))
        if self.counting not in COUNTINGS:
            raise ConfigError(
                f"unknown counting {self.counting!r} (known: {', '.join(COUNTINGS)})",
                fields=("counting",),
            )
        if self.seeds < 1:
            raise ConfigError("seeds must be >= 1", fields=("seeds",))
        if self.run.max_steps is not None and self.run.max_steps < 1:
            raise ConfigError("cap must be >= 1", fields=("cap",))
        needs_budget = [a for a in self.agents if AGENT_KINDS[a].needs_call_budget]
        if needs_budget and self.run.call_budget is None and MATCHED_TO not in self.agents:
            raise ConfigError(
                f"agent {needs_budget[0]} needs a call budget: give call_budget, or run "
                f"{MATCHED_TO} too (its mean LLM calls per task is the budget)",
                fields=("call_budget",),
            )
        for agent in self.agents:
            self.benchmark(agent, 0, self.run.call_budget or 1.0).validate()

    @property
    def cap(self) -> int:
        """Interactions per task: the runs' cap and the curves' last point."""
        return self.run.max_steps or get_scenario(self.run.scenario).max_steps

    def benchmark(self, agent: str, seed: int, call_budget: float | None) -> BenchmarkConfig:
        """The run of ``agent`` with ``seed`` (and ``call_budget``, if it takes one)."""
        return msgspec.structs.replace(
            self.run,
            agent=agent,
            seed=seed,
            max_steps=self.cap,
            call_budget=call_budget if AGENT_KINDS[agent].needs_call_budget else None,
        )

    def run_order(self) -> list[str]:
        """The agents in the order they run: the one ``tot-matched`` is
        matched to first, when its budget comes from this run."""
        if self.run.call_budget is not None or MATCHED_TO not in self.agents:
            return list(self.agents)
        return [MATCHED_TO, *(a for a in self.agents if a != MATCHED_TO)]


class AgentCurve(msgspec.Struct, kw_only=True):
    """One agent's curve and what it was measured with (the JSON file of ``rafa curve``)."""

    scenario: str
    agent: str
    provider: str
    """The LLM, as results name it (``sim (SIMULATED LLM...)`` for the sim)."""
    simulated: bool
    counting: Counting
    counting_means: str
    seeds: list[int]
    tasks: str
    cap: int
    episodes: int
    """Tasks x seeds: the curve's denominator."""
    solved: int
    errors: int
    """Episodes whose status is ``"error"`` (a provider error): counted as unsolved."""
    llm_calls_per_episode: float
    parameters: dict[str, Any]
    """The agent's search parameters (and ``call_budget`` for ``tot-matched``)."""
    points: list[CurvePoint]

    @property
    def label(self) -> str:
        """How a plot's legend names it: the agent (with its call budget,
        if it has one) and its provider."""
        budget = self.parameters.get("call_budget")
        name = self.agent if budget is None else f"{self.agent} ({budget:.0f} calls/task)"
        return f"{name} · {self.provider}"


def agent_curve(
    config: CurveConfig, agent: str, records: Sequence[TaskRecord], call_budget: float | None
) -> AgentCurve:
    """``agent``'s curve from its ``records`` (every seed's)."""
    n = len(records)
    run = config.run
    parameters: dict[str, Any] = {
        "n_generate": run.n_generate,
        "n_evaluate": run.n_evaluate,
        "beam": run.beam,
        "switching": run.switching,
    }
    if AGENT_KINDS[agent].needs_call_budget:
        parameters["call_budget"] = call_budget
    return AgentCurve(
        scenario=run.scenario,
        agent=agent,
        provider=SIM_LABEL if run.provider == "sim" else run.provider,
        simulated=run.provider == "sim" or any(r.simulated for r in records),
        counting=config.counting,
        counting_means=COUNTINGS[config.counting],
        seeds=list(range(config.seeds)),
        tasks=run.tasks,
        cap=config.cap,
        episodes=n,
        solved=sum(r.solved for r in records),
        errors=sum(r.status == "error" for r in records),
        llm_calls_per_episode=sum(r.llm_calls for r in records) / n if n else 0.0,
        parameters=parameters,
        points=curve_points(records, config.cap, config.counting),
    )


async def run_curves(
    config: CurveConfig,
    *,
    llm: LLMOptions | None = None,
    recorder: EventRecorder | None = None,
    on_result: Callable[[TaskRecord], None] | None = None,
) -> list[AgentCurve]:
    """Every agent of ``config`` over its seeds; their curves, in ``config.agents``' order.

    Each (agent, seed) run opens its own LLM from ``llm`` (default: the sim
    of that seed, :func:`~rafa_async.app.open_llm`); an agent's seeds run
    at once, the agents one after the other.  ``on_result`` is called as
    each episode ends.  Cancelling the caller cancels every run; a provider
    that becomes unavailable raises
    :class:`~rafa_async.ProviderUnavailable` (as
    :func:`~rafa_async.app.run_benchmark`).
    """
    config.validate()
    options = llm if llm is not None else LLMOptions()
    recorder = recorder if recorder is not None else EventRecorder()
    budget = config.run.call_budget
    curves: dict[str, AgentCurve] = {}
    for agent in config.run_order():
        records = await _run_seeds(config, agent, budget, options, recorder, on_result)
        curves[agent] = agent_curve(config, agent, records, budget)
        if agent == MATCHED_TO and budget is None:
            budget = curves[agent].llm_calls_per_episode
    return [curves[agent] for agent in config.agents]


async def _run_seeds(
    config: CurveConfig,
    agent: str,
    call_budget: float | None,
    options: LLMOptions,
    recorder: EventRecorder,
    on_result: Callable[[TaskRecord], None] | None,
) -> list[TaskRecord]:
    """Every seed's run of ``agent`` at once; their records, seed by seed."""
    runs: list[list[TaskRecord]] = [[] for _ in range(config.seeds)]

    async def run(seed: int) -> None:
        bench = config.benchmark(agent, seed, call_budget)
        sim = partial(build_llm, bench)
        async with open_llm(options, sim=sim, recorder=recorder, seed=seed) as stack:
            runs[seed], _ = await run_benchmark(
                bench, recorder=recorder, on_result=on_result, llm=stack
            )

    await for_each_limited(list(range(config.seeds)), config.seeds, run)
    return [record for records in runs for record in records]
