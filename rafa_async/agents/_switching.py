"""Switching conditions: when RAFA refreshes the memory snapshot it plans from.

In the paper's Algorithm 1 the agent appends every feedback to its memory D
but plans from a snapshot D_{t_k}; the switching condition decides when the
snapshot is refreshed (k <- k+1), so when the posterior -- and the policy --
changes.  Between switches the policy is fixed.  The rules here are named by
``rafa run --switching``:

- ``every-step`` (:class:`SwitchEveryStep`): the paper's experiments;
- ``on-misprediction`` (:class:`SwitchOnMisprediction`): when a step is
  rejected or lands off the predicted state, as the paper's Tic-Tac-Toe code;
- ``info-gain`` (:class:`SwitchOnInfoGain`): when the information of the
  evidence since the last switch exceeds a threshold (the theory's log 2);
- ``commit-plan`` (:class:`SwitchCommitPlan`): our extension, not the
  paper's -- keep executing a plan while the world behaves as predicted, and
  refresh (with the full memory) when it does not or the plan runs out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from rafa_async.agents._evidence import EvidenceEstimator, ModelConfidence, information
from rafa_async.planners import ValueSample


@dataclass(frozen=True, slots=True)
class StepObserved:
    """One executed step of a plan, as a switching condition sees it.

    ``predicted``/``observed`` are state keys (the plan's prediction and what
    the environment did); ``remaining`` is how many planned steps are left;
    ``evidence`` the planner's evaluation samples of the predicted state.
    """

    predicted: str
    observed: str
    accepted: bool
    remaining: int
    evidence: tuple[ValueSample, ...] = ()

    @property
    def held(self) -> bool:
        """Whether the step went as the plan predicted."""
        return self.accepted and self.predicted == self.observed


class SwitchingCondition(Protocol):
    """Decides after each executed step whether to refresh the snapshot.

    A condition may keep state across the steps of one episode (one agent,
    one condition); returning True is a switch.
    """

    name: str

    def should_switch(self, step: StepObserved) -> bool: ...


class SwitchEveryStep:
    """The paper's experiments: a new snapshot (and plan) after every step."""

    name = "every-step"

    def should_switch(self, step: StepObserved) -> bool:
        return True


class SwitchOnMisprediction:
    """Switch when the observed transition is not the predicted one (or the
    step was rejected), as the paper's Tic-Tac-Toe code does."""

    name = "on-misprediction"

    def should_switch(self, step: StepObserved) -> bool:
        return not step.held


@dataclass(slots=True)
class SwitchOnInfoGain:
    """Switch when the information gathered since the last switch exceeds
    ``threshold`` nats (default log 2, the theory's).

    The information of a step is -log P_model(observed outcome), estimated
    by ``estimator`` from the plan's evaluation samples (see
    :mod:`rafa_async.agents._evidence`).  ``gathered`` is the running sum;
    a switch resets it.
    """

    threshold: float = math.log(2)
    estimator: EvidenceEstimator = field(default_factory=ModelConfidence)
    gathered: float = 0.0
    name: str = "info-gain"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.threshold) and self.threshold > 0):
            raise ValueError(f"info threshold must be a number > 0, got {self.threshold}")

    def should_switch(self, step: StepObserved) -> bool:
        self.gathered += information(self.estimator, step.evidence, held=step.held)
        if self.gathered > self.threshold:
            self.gathered = 0.0
            return True
        return False


class SwitchCommitPlan:
    """Our extension (not the paper's): commit to a plan while the world
    behaves as predicted; refresh the snapshot to the full memory, and so
    replan, when a step is rejected, lands off the prediction, or the plan
    runs out.  (Called ``on-surprise`` before; that name is refused.)"""

    name = "commit-plan"

    def should_switch(self, step: StepObserved) -> bool:
        return not step.held or step.remaining == 0
