"""How ``rafa play gridworld`` builds the game: its entry in the games registry."""

from __future__ import annotations

from functools import partial

from rafa_async.scenarios._games import GameSpec, player_policy

from ._game import Foraging
from ._oracle import ForagingOracle
from ._policies import GreedyPolicy, RandomPolicy, StayPolicy
from ._state import ForagingState
from ._world import ForagingWorld, PlanState

AGENTS = 6
"""Foragers in ``rafa play gridworld``; the first half are RAFA by default."""


def game_spec() -> GameSpec[ForagingState, PlanState]:
    """Foraging for ``rafa play``: a 12x12 map, simultaneous moves, 30 ticks."""
    game = Foraging(12, 12, AGENTS, 8, seed=1, max_ticks=30, vision=3)
    world = ForagingWorld(game)
    half = AGENTS // 2
    return GameSpec(
        name="gridworld",
        description=(
            f"Foraging: {AGENTS} agents a0-a{AGENTS - 1} on a 12x12 map, "
            "simultaneous moves, 30 ticks; score = food eaten / best forager's "
            "(benchmarks/scale_gridworld.py runs thousands in real time)"
        ),
        seats=game.players,
        make=lambda: game,
        world=world.for_player,
        oracle=ForagingOracle,
        policies={
            "greedy": player_policy(partial(GreedyPolicy, game)),
            "random": player_policy(RandomPolicy),
            "stay": player_policy(lambda *, seed: StayPolicy()),
        },
        default_seats={p: "rafa" if i < half else "greedy" for i, p in enumerate(game.players)},
        scoring="share",
        grid=game.draw,
    )
