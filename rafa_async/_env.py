"""Environments and the driver that runs one agent's episode in one.

An :class:`Environment` is pure: ``step(state, action)`` returns an
:class:`Outcome` and changes nothing, so the caller owns time and the
interaction budget.  :class:`EpisodeDriver` is that caller for single-agent
episodes: it counts interactions against the cap, publishes a
:class:`~rafa_async.Transition` per step, and knows when the episode is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from rafa_async._errors import RafaError
from rafa_async._events import EventRecorder, Transition
from rafa_async._plural import plural

S = TypeVar("S")


@dataclass(frozen=True, slots=True)
class Outcome(Generic[S]):
    """Result of one action.  A rejected action leaves ``state`` unchanged."""

    state: S
    accepted: bool
    feedback: str
    reward: float = 0.0
    done: bool = False


class Environment(Protocol[S]):
    """A single-agent task (multi-agent games extend this)."""

    @property
    def name(self) -> str: ...

    def reset(self) -> S: ...

    def step(self, state: S, action: str) -> Outcome[S]: ...

    def render(self, state: S) -> str: ...

    def answer(self, state: S) -> str | None:
        """The final answer of a solved episode (e.g. an expression), if any."""
        ...


class EpisodeOver(RafaError):
    """Raised by :meth:`EpisodeDriver.act` once the episode is done or out of budget."""


class EpisodeDriver(Generic[S]):
    """Runs one episode: the state, the interaction cap, and the transition log."""

    def __init__(
        self,
        env: Environment[S],
        *,
        episode: str,
        max_steps: int,
        recorder: EventRecorder | None = None,
    ) -> None:
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        self.env = env
        self.episode = episode
        self.max_steps = max_steps
        self.recorder = recorder if recorder is not None else EventRecorder()
        self.state: S = env.reset()
        self.steps = 0
        self.reward = 0.0
        self.done = False
        self.history: list[tuple[str, Outcome[S]]] = []

    @property
    def over(self) -> bool:
        return self.done or self.steps >= self.max_steps

    @property
    def solved(self) -> bool:
        return self.done and self.reward > 0

    def restart(self) -> S:
        """Back to the initial state (a new trial); the step budget is not reset."""
        self.state = self.env.reset()
        return self.state

    def act(self, action: str) -> Outcome[S]:
        """Apply ``action`` to the current state; one interaction of the budget."""
        if self.over:
            raise EpisodeOver(f"episode {self.episode} is over after {plural(self.steps, 'step')}")
        outcome = self.env.step(self.state, action)
        self.steps += 1
        self.state = outcome.state
        self.reward += outcome.reward
        self.done = outcome.done
        self.history.append((action, outcome))
        self.recorder.emit(
            Transition(
                episode=self.episode,
                step=self.steps,
                action=action,
                accepted=outcome.accepted,
                feedback=outcome.feedback,
                reward=outcome.reward,
                done=outcome.done,
                state=self.env.render(outcome.state),
            )
        )
        return outcome
