"""What planners need from a scenario, and what they return.

The world-model protocols a scenario implements (:class:`Proposal`,
:class:`WorldModel`, ...) are defined with the scenarios, the layer below,
and re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from rafa_async._events import PlanCandidate, PlanCompleted
from rafa_async.scenarios import Proposal as Proposal, WorldModel as WorldModel

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class PlanStats:
    llm_calls: int = 0
    failed_calls: int = 0
    levels: int = 0
    evaluated: int = 0
    simulations: int = 0
    """Finished simulations (``MCTSPlanner``; 0 for the other planners)."""


@dataclass(frozen=True, slots=True)
class ValueSample:
    """One evaluation sample of a predicted state: the value the world model
    parsed, and the model's own probability that the state is good, where the
    provider reports one (:attr:`~rafa_async.llm.ChatResponse.confidence`;
    None otherwise).  Switching rules read these as the model's prediction
    of what the environment will say (see ``SwitchOnInfoGain``)."""

    value: float
    confidence: float | None = None


@dataclass(frozen=True, slots=True)
class Alternative:
    """One candidate trajectory a search weighed: its actions and value.
    Kept so a watcher can see what the chosen plan beat (the live page,
    ``PlanCompleted.candidates``); nothing acts on it."""

    actions: tuple[str, ...]
    value: float


MAX_ALTERNATIVES = 8
"""Candidate trajectories a plan keeps, best first."""


def best_alternatives(candidates: Sequence[Alternative]) -> tuple[Alternative, ...]:
    """The :data:`MAX_ALTERNATIVES` best of ``candidates``, best first (ties
    keep their order, so the result does not depend on timing)."""
    ranked = sorted(candidates, key=lambda a: a.value, reverse=True)
    return tuple(ranked[:MAX_ALTERNATIVES])


@dataclass(frozen=True, slots=True)
class Plan(Generic[S]):
    """A trajectory: actions with predicted states, and the value of its end.

    ``complete`` is False when a deadline cut the search short (the plan is
    then the best found so far).  Executing one step and keeping the rest is
    :meth:`advance`.  ``evidence``, when the planner records it, holds the
    evaluation samples of each step's predicted state (aligned with
    ``steps``; empty when not recorded).  ``alternatives``: the candidate
    trajectories the search weighed (beam: its last level; MCTS: the best
    line under each child of the root), best first as the planner ranks them
    (so the chosen one first; at most :data:`MAX_ALTERNATIVES`; empty when
    the planner weighs none).
    """

    steps: tuple[Proposal[S], ...]
    value: float
    complete: bool = True
    stats: PlanStats = field(default_factory=PlanStats)
    evidence: tuple[tuple[ValueSample, ...], ...] = ()
    alternatives: tuple[Alternative, ...] = ()

    def advance(self) -> Plan[S]:
        """The plan after its first step is executed (its alternatives were
        the first step's: they go)."""
        return Plan(self.steps[1:], self.value, self.complete, self.stats, self.evidence[1:])

    def evidence_of_first(self) -> tuple[ValueSample, ...]:
        """The evaluation samples of the first step's predicted state (empty if none)."""
        return self.evidence[0] if self.evidence else ()

    @property
    def actions(self) -> list[str]:
        return [s.action for s in self.steps]


def plan_completed(plan: Plan[Any], *, episode: str, plan_id: int, elapsed: float) -> PlanCompleted:
    """The event that says ``plan`` is ready, with the candidates it beat."""
    return PlanCompleted(
        episode=episode,
        plan=plan_id,
        actions=plan.actions,
        value=plan.value,
        complete=plan.complete,
        llm_calls=plan.stats.llm_calls,
        elapsed=elapsed,
        candidates=[
            PlanCandidate(actions=list(a.actions), value=a.value) for a in plan.alternatives
        ],
    )


class Planner(Protocol[S]):
    async def plan(self, state: S, memory: Sequence[str], *, salt: int = 0) -> Plan[S]:
        """Search from ``state``.  ``salt`` draws fresh samples for a repeat plan.

        Cancellable at any await; cancelling leaves no task or LLM call running.
        """
        ...
