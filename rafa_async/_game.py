"""Multi-agent games: the protocol environments implement for shared matches.

A :class:`Game` is pure, like a single-agent :class:`~rafa_async.Environment`:
``step(state, actions)`` returns a :class:`Step` and changes nothing, so the
match host owns time (turns, simultaneous moves, real-time ticks), deadlines
and the event log.  Which players must act in a state is the game's rule
(``to_move``): one player in a turn-based game, all of them in a
simultaneous-move or real-time game.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

S = TypeVar("S")

NOOP = "noop"
"""The action a real-time host applies for a player who missed the tick."""


@dataclass(frozen=True, slots=True)
class Step(Generic[S]):
    """One transition of a game: the next state, and what each player learns.

    ``feedback`` holds per-player text (e.g. an illegal action's reason);
    ``rewards`` per-player rewards of this transition; ``done`` ends the match.
    """

    state: S
    rewards: Mapping[str, float] = field(default_factory=dict)
    feedback: Mapping[str, str] = field(default_factory=dict)
    done: bool = False


class Game(Protocol[S]):
    """A game for one or more players, turn-based or simultaneous."""

    @property
    def name(self) -> str: ...

    @property
    def players(self) -> Sequence[str]: ...

    def reset(self, seed: int) -> S: ...

    def to_move(self, state: S) -> Sequence[str]:
        """Players who must submit an action in ``state`` (empty when done)."""
        ...

    def legal_actions(self, state: S, player: str) -> Sequence[str]: ...

    def step(self, state: S, actions: Mapping[str, str]) -> Step[S]:
        """Apply one action per player in ``to_move(state)``.  Actions are legal
        (the host checks), or :data:`NOOP` for a player who missed a real-time tick."""
        ...

    def observe(self, state: S, player: str) -> str:
        """What ``player`` sees of ``state``, as text (for its prompts)."""
        ...

    def render(self, state: S) -> str:
        """The whole state as compact text (event payloads, logs, replays)."""
        ...

    def scores(self, state: S) -> Mapping[str, float]:
        """Score per player (e.g. 1 win, 0.5 draw, 0 loss).  Called at the end
        of a match, which may be a host's turn limit: then the standing so far."""
        ...
