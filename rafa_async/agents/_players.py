"""Simple match players: fixed policies, for opponents, baselines and tests."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import anyio

from rafa_async._concurrency import run_sync_abandonable
from rafa_async._events import MatchEnded, TurnStarted
from rafa_async._match import Seat


class PolicyPlayer:
    """Acts with ``policy(seat) -> action`` on each of its turns.

    ``think`` seconds of (simulated) deliberation are slept before each
    submission -- enough to test deadlines and late moves on a virtual clock.

    A ``cpu_heavy`` policy (by default: the policy's own ``cpu_heavy``
    attribute, e.g. a game-tree search) runs in a thread, so a long search
    blocks neither the other players, nor the host's deadlines, nor Ctrl-C;
    cancelling the player (the match ends, the run is interrupted) abandons
    the search at once.  Other policies are called inline: a thread per move
    would cost more than a cheap policy's move.
    """

    def __init__(
        self,
        policy: Callable[[Seat[Any]], str],
        *,
        name: str = "policy",
        think: float = 0.0,
        cpu_heavy: bool | None = None,
    ) -> None:
        self.policy = policy
        self.name = name
        self.think = think
        self.cpu_heavy = (
            bool(getattr(policy, "cpu_heavy", False)) if cpu_heavy is None else cpu_heavy
        )
        self.turns_played = 0

    async def choose(self, seat: Seat[Any]) -> str:
        """The policy's action for ``seat`` (in a thread if it is CPU-heavy)."""
        if self.cpu_heavy:
            return await run_sync_abandonable(partial(self.policy, seat))
        return self.policy(seat)

    async def play(self, seat: Seat[Any]) -> None:
        async for _, event in seat.events:
            if isinstance(event, MatchEnded):
                return
            if isinstance(event, TurnStarted) and seat.called(event):
                if self.think:
                    await anyio.sleep(self.think)
                verdict = seat.submit(await self.choose(seat), turn=event.turn)
                if not verdict.accepted and seat.turn == event.turn:
                    # A policy that picked an illegal action must not stall a
                    # match without a move timeout: play the first legal one.
                    legal = seat.legal_actions()
                    if legal:
                        seat.submit(legal[0], turn=event.turn)
                self.turns_played += 1


class RandomPlayer(PolicyPlayer):
    """A uniformly random legal action, from a seeded generator."""

    def __init__(self, seed: int = 0, *, think: float = 0.0) -> None:
        rng = random.Random(seed)
        super().__init__(
            lambda seat: rng.choice(list(seat.legal_actions())), name="random", think=think
        )


class ScriptedPlayer(PolicyPlayer):
    """Plays ``actions`` in order (then the first legal action)."""

    def __init__(self, actions: Sequence[str], *, think: float = 0.0) -> None:
        queue = list(actions)

        def next_action(seat: Seat[Any]) -> str:
            return queue.pop(0) if queue else seat.legal_actions()[0]

        super().__init__(next_action, name="scripted", think=think)
