"""A study's results: success cells with intervals, curves, the memory ablation.

Every rate comes with a 95% Wilson interval over the pooled episodes
(tasks x seeds), as ``rafa curve``'s (:func:`~rafa_async.app.wilson`: exact
enough at 0% and 100%, and valid with one seed).  The memory ablation's
difference of two rates gets Newcombe's interval, built from the two
Wilson intervals (his method 10), so the three numbers agree.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from rafa_async.app._curve import wilson
from rafa_async.app._curves import AgentCurve
from rafa_async.app._study_cost import CostEstimate
from rafa_async.llm import MiddlewareStack, total_cost
from rafa_async.scenarios import TaskRecord


class StudyCell(msgspec.Struct, frozen=True, kw_only=True):
    """One agent on one benchmark, over every task and seed."""

    column: str
    agent: str
    settings: dict[str, Any]
    episodes: int
    solved: int
    errors: int
    """Episodes a provider error decided (counted as unsolved)."""
    budget_spent: int
    """Episodes ended by the LLM-call budget (counted as they stood)."""
    success: float
    ci_low: float
    ci_high: float
    llm_calls_per_episode: float
    tokens: int
    cost_usd: float | None


def study_cell(
    column: str, agent: str, settings: dict[str, Any], records: Sequence[TaskRecord], budget: int
) -> StudyCell:
    """The cell of ``records`` (every seed's), ``budget`` the calls each episode had."""
    n = len(records)
    solved = sum(r.solved for r in records)
    low, high = wilson(solved, n)
    return StudyCell(
        column=column,
        agent=agent,
        settings=settings,
        episodes=n,
        solved=solved,
        errors=sum(r.status == "error" for r in records),
        budget_spent=sum(not r.solved and r.llm_calls >= budget for r in records),
        success=solved / n if n else 0.0,
        ci_low=low,
        ci_high=high,
        llm_calls_per_episode=sum(r.llm_calls for r in records) / n if n else 0.0,
        tokens=sum(r.tokens for r in records),
        cost_usd=total_cost(r.cost_usd for r in records),
    )


class Unavailable(msgspec.Struct, frozen=True, kw_only=True):
    """A part (``column`` ``None``) or one of its columns that this build cannot run."""

    part: str
    column: str | None = None
    reason: str


class PartResult(msgspec.Struct, frozen=True, kw_only=True):
    """One row of the success table, and its curves."""

    row: str
    scenario: str
    tasks: str
    seeds: list[int]
    llm_call_budget: int
    cap: int
    """Environment interactions per episode: the curves' last point."""
    settings: dict[str, Any]
    paper: dict[str, str]
    paper_source: str
    cells: list[StudyCell]
    curves: list[AgentCurve]
    """Success against interactions, one per cell (named by its column)."""


class MemoryAblation(msgspec.Struct, frozen=True, kw_only=True):
    """RAFA with memory against RAFA with memory disabled, on one benchmark."""

    row: str
    with_memory: StudyCell
    without_memory: StudyCell
    difference: float
    """``with_memory.success - without_memory.success``: the effect of learning."""
    ci_low: float
    ci_high: float


def difference_interval(a: StudyCell, b: StudyCell) -> tuple[float, float]:
    """Newcombe's 95% interval of ``a.success - b.success`` (method 10)."""
    d = a.success - b.success
    low = d - math.hypot(a.success - a.ci_low, b.ci_high - b.success)
    high = d + math.hypot(a.ci_high - a.success, b.success - b.ci_low)
    return max(-1.0, low), min(1.0, high)


def memory_ablation(part: PartResult, columns: tuple[str, str]) -> MemoryAblation | None:
    """The ablation of ``part`` between the cells ``columns``; ``None`` if
    either did not run."""
    cells = {cell.column: cell for cell in part.cells}
    with_memory, without = cells.get(columns[0]), cells.get(columns[1])
    if with_memory is None or without is None:
        return None
    low, high = difference_interval(with_memory, without)
    return MemoryAblation(
        row=part.row,
        with_memory=with_memory,
        without_memory=without,
        difference=with_memory.success - without.success,
        ci_low=low,
        ci_high=high,
    )


class StudyLearningPoint(msgspec.Struct, frozen=True, kw_only=True):
    """Mean evaluation score (-1/0/1 games) after ``episodes`` training episodes."""

    episodes: int
    score: float
    ci_low: float
    ci_high: float


class StudyLearningCurve(msgspec.Struct, frozen=True, kw_only=True):
    """One learning curve of a :class:`~rafa_async.app.LearningPart` (e.g. one B)."""

    part: str
    label: str
    provider: str
    simulated: bool
    seeds: list[int]
    points: list[StudyLearningPoint]
    llm_calls: int = 0
    """Every LLM call its protocol made for this curve (training and evaluation)."""


@dataclass(frozen=True, slots=True)
class LearningContext:
    """What a learning protocol runs on: the study's LLM stack and seeds."""

    llm: MiddlewareStack
    provider: str
    simulated: bool
    seeds: int
    quick: bool


class StudyResults(msgspec.Struct, kw_only=True):
    """Everything a study measured (``results.json``)."""

    study: str
    provider: str
    """The LLM, as results name it (``sim (SIMULATED LLM...)`` for the sim)."""
    simulated: bool
    seeds: int
    quick: bool
    parts: list[PartResult]
    ablations: list[MemoryAblation]
    learning: list[StudyLearningCurve]
    unavailable: list[Unavailable]
    llm_calls: int
    tokens: int
    cost_usd: float | None
    wall_s: float
    estimate: CostEstimate | None = None
    """The cost estimate stated before a real provider's run (``None`` on the sim)."""
