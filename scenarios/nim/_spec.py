"""How ``rafa play nim`` builds the game: its entry in the games registry."""

from __future__ import annotations

from rafa_async.scenarios._games import GameSpec, state_policy

from ._game import Nim
from ._oracle import NimOracle
from ._policies import PerfectPolicy, RandomPolicy
from ._state import PLAYERS, NimState
from ._world import NimWorld


def game_spec() -> GameSpec[NimState, NimState]:
    """Nim for ``rafa play``: A (first) and B."""
    return GameSpec(
        name="nim",
        description="Nim from heaps 3 4 5; seats A (first) and B; a move 2:3 takes 3 from heap 2",
        seats=PLAYERS,
        make=Nim,
        world=lambda seat: NimWorld(),
        oracle=NimOracle,
        policies={
            "random": state_policy(RandomPolicy),
            "perfect": state_policy(PerfectPolicy),
        },
        default_seats={"A": "rafa", "B": "random"},
    )
