"""Classic iterated prisoner's dilemma strategies (no LLM): opponents, baselines, tests.

A strategy maps a state and a seat to a move (``strategy.move(state,
player)``).  To seat one in a match, wrap it for a policy player::

    PolicyPlayer(seat_policy(TitForTat()), name="tit-for-tat")

(this package does not build the player itself: scenarios sit below agents
and import none).

The deterministic strategies are also *reactive*: ``react(previous, me)``
gives the move from the previous round's profile alone (None in round 1).
That is the form the simulated LLM's opponent model fits to memory facts
(``"round 3: p2 played D after CD"``), so a policy and the belief about it
are one definition.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, Protocol

from rafa_async import Seat

from ._state import COOPERATE, DEFECT, IPDState, Profile, player_index


class Strategy(Protocol):
    @property
    def name(self) -> str: ...

    def move(self, state: IPDState, player: str) -> str: ...


def seat_policy(strategy: Strategy) -> Callable[[Seat[Any]], str]:
    """``strategy`` as a policy for ``PolicyPlayer``: it moves for the seat's
    player in the seat's current state."""
    return lambda seat: strategy.move(seat.state, seat.player)


def _seat(state: IPDState, player: str) -> int:
    """The player's seat index, if it has a move to make; ``ValueError`` if not."""
    me = player_index(player, state.rules.n_players)
    if state.done:
        raise ValueError(f"no move for {player}: the match is over ({state.played} rounds)")
    return me


def _others_defected(previous: Profile, me: int) -> bool:
    return any(move == DEFECT for i, move in enumerate(previous) if i != me)


class Reactive:
    """A strategy whose move depends only on the previous round's profile."""

    name: str

    @staticmethod
    def react(previous: Profile | None, me: int) -> str:
        raise NotImplementedError

    def move(self, state: IPDState, player: str) -> str:
        return self.react(state.previous, _seat(state, player))


class AlwaysCooperate(Reactive):
    name = "always-cooperate"

    @staticmethod
    def react(previous: Profile | None, me: int) -> str:
        return COOPERATE


class AlwaysDefect(Reactive):
    name = "always-defect"

    @staticmethod
    def react(previous: Profile | None, me: int) -> str:
        return DEFECT


class TitForTat(Reactive):
    """Cooperates first, then copies its opponent's last move.

    With several opponents there is no single move to copy; this one defects
    if *any* opponent defected in the previous round (it retaliates against
    the group, as a player who cannot punish one pair alone must).
    """

    name = "tit-for-tat"

    @staticmethod
    def react(previous: Profile | None, me: int) -> str:
        if previous is None:
            return COOPERATE
        return DEFECT if _others_defected(previous, me) else COOPERATE


class Grim(Reactive):
    """Cooperates until any opponent defects, then defects for the rest of the match.

    :meth:`move` reads the whole history.  :meth:`react` is the same rule
    seen one round at a time: Grim defects now iff anyone defected in the
    previous round *including itself* (its own defection means the trigger
    was pulled earlier).  The two agree whenever Grim's past moves are its own.
    """

    name = "grim"

    @staticmethod
    def react(previous: Profile | None, me: int) -> str:
        if previous is None:
            return COOPERATE
        return DEFECT if DEFECT in previous else COOPERATE

    def move(self, state: IPDState, player: str) -> str:
        me = _seat(state, player)
        triggered = any(_others_defected(profile, me) for profile in state.history)
        return DEFECT if triggered else COOPERATE


class Random:
    """Cooperates with probability ``p`` each round, from its own seeded generator."""

    def __init__(self, *, seed: int = 0, p: float = 0.5) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Random: p is a probability of cooperating, got {p}")
        self.name = f"random(seed={seed}, p={p:g})"
        self.p = p
        self._rng = random.Random(seed)

    def move(self, state: IPDState, player: str) -> str:
        _seat(state, player)
        return COOPERATE if self._rng.random() < self.p else DEFECT
