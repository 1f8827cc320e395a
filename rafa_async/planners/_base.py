"""What planners need from a scenario, and what they return."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from rafa_async.llm import ChatRequest

S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)


class Proposal(Protocol[S_co]):
    """A candidate action and the state the model predicts it leads to."""

    @property
    def action(self) -> str: ...

    @property
    def predicted(self) -> S_co: ...


class WorldModel(Protocol[S]):
    """A scenario's interface to an LLM used as actor (propose) and critic (evaluate).

    Requests carry the memory lines so the model conditions on them (RAFA's
    in-context posterior).  ``parse_*`` raise ``MalformedResponse`` on text they
    cannot use; planners drop such samples and count them.
    """

    def key(self, state: S) -> str: ...

    def is_terminal(self, state: S) -> bool: ...

    def propose_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest: ...

    def parse_proposal(self, state: S, text: str) -> Proposal[S]: ...

    def evaluate_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest: ...

    def parse_value(self, text: str) -> float: ...


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
