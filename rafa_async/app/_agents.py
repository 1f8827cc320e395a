"""Agent kinds: which agent runs a single-agent benchmark, in one table.

:data:`AGENT_KINDS` names every agent ``rafa run --agent`` takes (RAFA and
the baselines it is compared with) and how to build it; the CLI's choices
and :meth:`~rafa_async.app.BenchmarkConfig.validate` come from it, and
:func:`make_agent` is the one way to build an agent from a kind.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import msgspec

from rafa_async._errors import ConfigError
from rafa_async.agents import (
    Agent,
    ComputeMatchedToT,
    DirectAgent,
    Learner,
    Memory,
    ModelConfidence,
    OpenLoopAgent,
    RafaAgent,
    RawFeedback,
    ReflectOnFeedback,
    ReflexionAgent,
    SampleAgreement,
    SwitchCommitPlan,
    SwitchEveryStep,
    SwitchingCondition,
    SwitchOnInfoGain,
    SwitchOnMisprediction,
    TrialsToT,
)
from rafa_async.llm import LLM
from rafa_async.planners import BeamPlanner, MCTSPlanner, Planner
from rafa_async.scenarios import Benchmark, BenchmarkWorld

SwitchingKind = Literal["every-step", "on-misprediction", "info-gain", "commit-plan"]
LearnKind = Literal["raw", "reflect"]
EstimatorKind = Literal["confidence", "agreement"]
PlannerKind = Literal["beam", "mcts"]


class AgentOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How an agent searches (the paper's parameters; every task alike)."""

    n_generate: int = 10
    """Proposals sampled per frontier node and level."""
    n_evaluate: int = 3
    """Value samples per candidate state."""
    beam: int = 1
    """States kept per level (the paper's b)."""
    switching: SwitchingKind = "every-step"
    """When RAFA refreshes the memory snapshot it plans from (:data:`SWITCHING_KINDS`)."""
    info_threshold: float = math.log(2)
    """``info-gain``: the information (nats) that triggers a switch."""
    info_estimator: EstimatorKind = "confidence"
    """``info-gain``: how P_model(outcome) is estimated (:data:`ESTIMATOR_KINDS`)."""
    learn: LearnKind = "raw"
    """What RAFA stores per step: the raw feedback, or also a lesson the LLM draws from it."""
    call_budget: float | None = None
    """LLM calls per task for the compute-matched ToT (``tot-matched``):
    RAFA's mean calls per task, to compare the two at equal compute."""
    planner: PlannerKind = "beam"
    """The tree search of the agents that plan (:data:`PLANNER_KINDS`)."""
    mcts_simulations: int = 32
    """``mcts``: simulations per plan."""
    mcts_concurrency: int = 4
    """``mcts``: simulations run at once (with virtual loss)."""
    mcts_c: float = 1.0
    """``mcts``: UCT's exploration constant (rewards scaled to [0, 1])."""
    memory: bool = True
    """Whether RAFA keeps what it observes (``False``: the ablation of
    learning -- it stores nothing and plans every step from an empty memory)."""


AgentFactory = Callable[[AgentOptions, LLM, Benchmark[Any, Any]], Agent[Any]]
"""Builds the agent of one task (episode) of a benchmark."""


@dataclass(frozen=True, slots=True)
class AgentKind:
    """A kind of agent ``rafa run --agent`` takes."""

    factory: AgentFactory
    description: str
    needs_call_budget: bool = False
    """Whether it needs :attr:`AgentOptions.call_budget` (``tot-matched``)."""
    plans: bool = True
    """Whether it searches with a planner (``--planner`` applies to it)."""
    has_memory: bool = False
    """Whether it keeps a memory that :attr:`AgentOptions.memory` can disable."""


PlannerFactory = Callable[
    [AgentOptions, LLM, BenchmarkWorld[Any], Benchmark[Any, Any]], Planner[Any]
]
"""Builds a planner over a benchmark's world (the benchmark bounds its
depth: :attr:`~rafa_async.scenarios.Benchmark.plan_depth`, its interaction cap)."""


def _beam(
    options: AgentOptions, llm: LLM, world: BenchmarkWorld[Any], benchmark: Benchmark[Any, Any]
) -> Planner[Any]:
    return BeamPlanner(
        llm,
        world,
        n_generate=options.n_generate,
        n_evaluate=options.n_evaluate,
        beam=options.beam,
        depth=benchmark.plan_depth,
    )


def _mcts(
    options: AgentOptions, llm: LLM, world: BenchmarkWorld[Any], benchmark: Benchmark[Any, Any]
) -> Planner[Any]:
    # Simulations stop at the interaction cap (or the benchmark's planning
    # depth, if shorter): a longer trajectory could not be executed, and
    # without a cap a search in a world without dead ends (a BlocksWorld)
    # could wander far before it met a terminal state.
    depth = benchmark.max_steps
    if benchmark.plan_depth is not None:
        depth = min(depth, benchmark.plan_depth)
    return MCTSPlanner(
        llm,
        world,
        simulations=options.mcts_simulations,
        concurrency=options.mcts_concurrency,
        c=options.mcts_c,
        n_generate=options.n_generate,
        n_evaluate=options.n_evaluate,
        depth=depth,
    )


PLANNER_KINDS: Mapping[str, PlannerFactory] = MappingProxyType({"beam": _beam, "mcts": _mcts})
"""The tree searches ``--planner`` names: beam search (Tree of Thoughts, the
paper's Game of 24 planner) or MCTS (RAP style, the paper's BlocksWorld one)."""

MCTS_FIELDS = ("mcts_simulations", "mcts_concurrency", "mcts_c")
"""Options only ``planner="mcts"`` reads."""


def _planner(
    options: AgentOptions, llm: LLM, benchmark: Benchmark[Any, Any], world: BenchmarkWorld[Any]
) -> Planner[Any]:
    return PLANNER_KINDS[options.planner](options, llm, world, benchmark)


def _info_gain(options: AgentOptions) -> SwitchingCondition:
    estimator = ModelConfidence() if options.info_estimator == "confidence" else SampleAgreement()
    return SwitchOnInfoGain(options.info_threshold, estimator)


SWITCHING_KINDS: Mapping[str, Callable[[AgentOptions], SwitchingCondition]] = MappingProxyType(
    {
        "every-step": lambda options: SwitchEveryStep(),
        "on-misprediction": lambda options: SwitchOnMisprediction(),
        "info-gain": _info_gain,
        "commit-plan": lambda options: SwitchCommitPlan(),
    }
)
"""The switching rules ``--switching`` names: when RAFA refreshes its snapshot."""

ESTIMATOR_KINDS = ("confidence", "agreement")
"""How ``info-gain`` estimates P_model(outcome): the model's reported
confidence (the sim's belief channel; else the proxy), or the proxy alone."""

RENAMED_SWITCHING = {"on-surprise": "commit-plan"}
"""Old switching names, refused with a hint at the new one (never run as
something else)."""

LEARN_KINDS = ("raw", "reflect")
"""What RAFA's learning subroutine stores per step (``--learn``)."""


def check_agent_options(options: AgentOptions) -> None:
    """:class:`ConfigError` naming the field of ``options`` that is not valid."""
    renamed = RENAMED_SWITCHING.get(options.switching)
    if renamed is not None:
        raise ConfigError(
            f"switching {options.switching!r} is now called {renamed!r} (our extension: "
            f"keep executing the plan while it holds): use switching {renamed!r}",
            fields=("switching",),
        )
    for field, value, known in (
        ("planner", options.planner, tuple(PLANNER_KINDS)),
        ("switching", options.switching, tuple(SWITCHING_KINDS)),
        ("info_estimator", options.info_estimator, ESTIMATOR_KINDS),
        ("learn", options.learn, LEARN_KINDS),
    ):
        if value not in known:
            raise ConfigError(
                f"unknown {field} {value!r} (known: {', '.join(known)})", fields=(field,)
            )
    if not options.memory and options.learn != "raw":
        raise ConfigError(
            f"learn {options.learn!r} needs memory (its lessons are stored in it)",
            fields=("learn", "memory"),
        )
    if not (math.isfinite(options.info_threshold) and options.info_threshold > 0):
        raise ConfigError(
            f"info_threshold must be a number > 0 (nats), got {options.info_threshold:g}",
            fields=("info_threshold",),
        )
    for field in ("mcts_simulations", "mcts_concurrency"):
        if getattr(options, field) < 1:
            raise ConfigError(f"{field} must be >= 1", fields=(field,))
    if not (math.isfinite(options.mcts_c) and options.mcts_c >= 0):
        raise ConfigError(
            f"mcts_c must be a number >= 0, got {options.mcts_c:g}", fields=("mcts_c",)
        )


def _learner(options: AgentOptions, llm: LLM, world: BenchmarkWorld[Any]) -> Learner[Any]:
    return ReflectOnFeedback(llm, world) if options.learn == "reflect" else RawFeedback()


def _rafa(options: AgentOptions, llm: LLM, benchmark: Benchmark[Any, Any]) -> Agent[Any]:
    world = benchmark.world()
    return RafaAgent(
        _planner(options, llm, benchmark, world),
        world,
        switching=SWITCHING_KINDS[options.switching](options),
        learner=_learner(options, llm, world),
        memory=Memory() if options.memory else Memory(maxlen=0),
    )


def _tot(options: AgentOptions, llm: LLM, benchmark: Benchmark[Any, Any]) -> Agent[Any]:
    world = benchmark.world()
    return OpenLoopAgent(_planner(options, llm, benchmark, world), world)


def _tot_trials(options: AgentOptions, llm: LLM, benchmark: Benchmark[Any, Any]) -> Agent[Any]:
    world = benchmark.world()
    return TrialsToT(_planner(options, llm, benchmark, world), world)


def _tot_matched(options: AgentOptions, llm: LLM, benchmark: Benchmark[Any, Any]) -> Agent[Any]:
    if options.call_budget is None:
        raise ConfigError(
            "agent tot-matched needs call_budget (LLM calls per task)", fields=("call_budget",)
        )
    world = benchmark.world()
    return ComputeMatchedToT(
        _planner(options, llm, benchmark, world), world, call_budget=options.call_budget
    )


def _reflexion(options: AgentOptions, llm: LLM, benchmark: Benchmark[Any, Any]) -> Agent[Any]:
    return ReflexionAgent(llm, benchmark.world())


def _direct(options: AgentOptions, llm: LLM, benchmark: Benchmark[Any, Any]) -> Agent[Any]:
    return DirectAgent(llm, benchmark.world())


AGENT_KINDS: Mapping[str, AgentKind] = MappingProxyType(
    {
        "rafa": AgentKind(
            _rafa, "RAFA: plan with a tree search, act, learn, replan", has_memory=True
        ),
        "tot": AgentKind(_tot, "open-loop Tree of Thoughts: plan once, run the whole plan"),
        "tot-trials": AgentKind(
            _tot_trials,
            "ToT as the paper's code runs it: a whole new ToT plan per interaction, "
            "from the start, no feedback kept",
        ),
        "tot-matched": AgentKind(
            _tot_matched,
            "ToT given RAFA's LLM-call budget: best-valued of independent ToT searches, "
            "run open loop",
            needs_call_budget=True,
        ),
        "reflexion": AgentKind(_reflexion, "answer, reflect on failure, retry", plans=False),
        "direct": AgentKind(_direct, "one call, one answer", plans=False),
    }
)
"""Every agent a benchmark runs with, by name (read-only)."""


def check_agent(kind: str) -> AgentKind:
    """The agent kind called ``kind``; :class:`ConfigError` listing the known ones if none."""
    agent = AGENT_KINDS.get(kind)
    if agent is None:
        raise ConfigError(
            f"unknown agent {kind!r} (known: {', '.join(AGENT_KINDS)})", fields=("agent",)
        )
    return agent


def check_planner(kind: str, options: AgentOptions) -> None:
    """:class:`ConfigError` if agent ``kind`` does not plan but ``options``
    ask for a planner other than the default (it would be ignored)."""
    if options.planner != "beam" and not check_agent(kind).plans:
        raise ConfigError(
            f"agent {kind} does not plan: planner {options.planner!r} applies only to "
            f"{', '.join(name for name, agent in AGENT_KINDS.items() if agent.plans)}",
            fields=("planner",),
        )


def check_memory(kind: str, options: AgentOptions) -> None:
    """:class:`ConfigError` if ``options`` disable the memory of an agent
    that keeps none (it would silently change nothing)."""
    if not options.memory and not check_agent(kind).has_memory:
        with_memory = ", ".join(name for name, k in AGENT_KINDS.items() if k.has_memory)
        raise ConfigError(
            f"memory can be disabled only for an agent that keeps one ({with_memory}), not {kind}",
            fields=("memory",),
        )


def make_agent(
    kind: str, options: AgentOptions, llm: LLM, benchmark: Benchmark[Any, Any]
) -> Agent[Any]:
    """An agent of ``kind`` for one task of ``benchmark``, calling ``llm``."""
    check_memory(kind, options)
    return check_agent(kind).factory(options, llm, benchmark)
