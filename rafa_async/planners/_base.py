"""What planners need from a scenario, and what they return.

The world-model protocols a scenario implements (:class:`Proposal`,
:class:`WorldModel`, ...) are defined with the scenarios, the layer below,
and re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from rafa_async.scenarios import Proposal as Proposal, WorldModel as WorldModel

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class PlanStats:
    llm_calls: int = 0
    failed_calls: int = 0
    levels: int = 0
    evaluated: int = 0


@dataclass(frozen=True, slots=True)
class Plan(Generic[S]):
    """A trajectory: actions with predicted states, and the value of its end.

    ``complete`` is False when a deadline cut the search short (the plan is
    then the best found so far).  Executing one step and keeping the rest is
    :meth:`advance`.
    """

    steps: tuple[Proposal[S], ...]
    value: float
    complete: bool = True
    stats: PlanStats = field(default_factory=PlanStats)

    def advance(self) -> Plan[S]:
        return Plan(self.steps[1:], self.value, self.complete, self.stats)

    @property
    def actions(self) -> list[str]:
        return [s.action for s in self.steps]


class Planner(Protocol[S]):
    async def plan(self, state: S, memory: Sequence[str], *, salt: int = 0) -> Plan[S]:
        """Search from ``state``.  ``salt`` draws fresh samples for a repeat plan.

        Cancellable at any await; cancelling leaves no task or LLM call running.
        """
        ...
