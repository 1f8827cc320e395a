"""How ``rafa play connect4`` builds the game: its entry in the games registry."""

from __future__ import annotations

from rafa_async.scenarios._games import GameSpec, key_rows, state_policy

from ._game import ConnectFour
from ._oracle import ConnectFourOracle
from ._policies import NegamaxPolicy, RandomPolicy
from ._state import PLAYERS, ConnectFourState
from ._world import ConnectFourWorld


def game_spec() -> GameSpec[ConnectFourState, ConnectFourState]:
    """Connect Four for ``rafa play``: R (first) and Y."""
    return GameSpec(
        name="connect4",
        description="Connect Four; seats R (first) and Y; columns 1-7",
        seats=PLAYERS,
        make=ConnectFour,
        world=lambda seat: ConnectFourWorld(),
        oracle=ConnectFourOracle,
        policies={
            "random": state_policy(RandomPolicy),
            # The seed picks among equally good moves; the depth stays the default.
            "negamax": state_policy(lambda seed: NegamaxPolicy(seed=seed)),
        },
        grid=key_rows,
        default_seats={"R": "rafa", "Y": "random"},
    )
