"""The old name of :mod:`rafa_async.app`'s benchmark runner, kept for programs
written against it: ``ExperimentConfig`` is :class:`~rafa_async.app.BenchmarkConfig`,
``Summary`` :class:`~rafa_async.app.BenchmarkSummary`, ``AGENTS`` the keys of
:data:`~rafa_async.app.AGENT_KINDS`, ``run_experiment``
:func:`~rafa_async.app.run_benchmark` and ``summarize``
:func:`~rafa_async.app.summarize_benchmark`.  New code imports from
:mod:`rafa_async.app`.
"""

from rafa_async.app import (
    AGENT_KINDS,
    BenchmarkConfig,
    BenchmarkSummary,
    SwitchingKind as SwitchingKind,
    build_agent as build_agent,
    build_llm as build_llm,
    run_benchmark,
    run_task as run_task,
    summarize_benchmark,
    task_status as task_status,
)

AGENTS = tuple(AGENT_KINDS)
AgentKind = str
"""An agent's name: a key of :data:`~rafa_async.app.AGENT_KINDS`."""
ExperimentConfig = BenchmarkConfig
Summary = BenchmarkSummary
run_experiment = run_benchmark
summarize = summarize_benchmark

__all__ = [
    "AGENTS",
    "AgentKind",
    "ExperimentConfig",
    "Summary",
    "SwitchingKind",
    "build_agent",
    "build_llm",
    "run_experiment",
    "run_task",
    "summarize",
    "task_status",
]
