"""The registry of shared-match games (``rafa play``): how to build each one."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from rafa_async import Game, Seat
from rafa_async.llm import Oracle


class _Mover(Protocol):
    def move(self, state: Any) -> str: ...


SeatPolicy = Callable[[Seat[Any]], str]
"""A fixed (non-LLM) policy: picks an action for a seat."""


@dataclass(frozen=True, slots=True)
class GameSpec:
    """What ``rafa play`` needs to know about a game."""

    name: str
    description: str
    seats: Sequence[str]
    make: Callable[[], Game[Any]]
    world: Callable[[str], Any]
    """The LLM-facing world model for a seat (some games bind it to the seat)."""
    oracle: Callable[[], Oracle]
    policies: Mapping[str, Callable[[int], SeatPolicy]]


def state_policy(factory: Callable[[int], _Mover]) -> Callable[[int], SeatPolicy]:
    """Adapt a ``policy.move(state)`` class to a seat policy."""

    def build(seed: int) -> SeatPolicy:
        policy = factory(seed)
        return lambda seat: policy.move(seat.state)

    return build


def _tictactoe() -> GameSpec:
    from rafa_async.scenarios import tictactoe as ttt

    return GameSpec(
        name="tictactoe",
        description="Tic-Tac-Toe (RAFA sec. 6.4); seats X (first) and O",
        seats=ttt.PLAYERS,
        make=ttt.TicTacToe,
        world=lambda seat: ttt.TicTacToeWorld(),
        oracle=ttt.TicTacToeOracle,
        policies={
            "random": state_policy(ttt.RandomPolicy),
            "perfect": state_policy(ttt.PerfectPolicy),
        },
    )


def _connect4() -> GameSpec:
    from rafa_async.scenarios import connect4 as c4

    return GameSpec(
        name="connect4",
        description="Connect Four; seats R (first) and Y; columns 1-7",
        seats=c4.PLAYERS,
        make=c4.ConnectFour,
        world=lambda seat: c4.ConnectFourWorld(),
        oracle=c4.ConnectFourOracle,
        policies={
            "random": state_policy(c4.RandomPolicy),
            "negamax": state_policy(c4.NegamaxPolicy),
        },
    )


def _ipd() -> GameSpec:
    from rafa_async.scenarios import ipd

    def strategy(factory: Callable[[], ipd.Strategy]) -> Callable[[int], SeatPolicy]:
        return lambda seed: ipd.seat_policy(factory())

    return GameSpec(
        name="ipd",
        description="Iterated prisoner's dilemma, 2 players x 20 rounds; seats p1, p2",
        seats=("p1", "p2"),
        make=ipd.PrisonersDilemma,
        world=ipd.PrisonersDilemmaWorld,
        oracle=ipd.PrisonersDilemmaOracle,
        policies={
            "tit-for-tat": strategy(ipd.TitForTat),
            "grim": strategy(ipd.Grim),
            "always-defect": strategy(ipd.AlwaysDefect),
            "always-cooperate": strategy(ipd.AlwaysCooperate),
            "random": lambda seed: ipd.seat_policy(ipd.Random(seed)),
        },
    )


GAME_BUILDERS: dict[str, Callable[[], GameSpec]] = {
    "tictactoe": _tictactoe,
    "connect4": _connect4,
    "ipd": _ipd,
}
