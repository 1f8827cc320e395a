"""How ``rafa play tictactoe`` builds the game: its entry in the games registry."""

from __future__ import annotations

from rafa_async.scenarios._games import GameSpec, key_rows, state_policy

from ._game import TicTacToe
from ._oracle import TicTacToeOracle
from ._policies import PerfectPolicy, RandomPolicy
from ._state import PLAYERS, TicTacToeState
from ._world import TicTacToeWorld


def game_spec() -> GameSpec[TicTacToeState, TicTacToeState]:
    """Tic-Tac-Toe for ``rafa play``: X (first) and O."""
    return GameSpec(
        name="tictactoe",
        description="Tic-Tac-Toe (RAFA sec. 6.4); seats X (first) and O",
        seats=PLAYERS,
        make=TicTacToe,
        world=lambda seat: TicTacToeWorld(),
        oracle=TicTacToeOracle,
        policies={
            "random": state_policy(RandomPolicy),
            "perfect": state_policy(PerfectPolicy),
        },
        grid=key_rows,
        default_seats={"X": "rafa", "O": "random"},
    )
