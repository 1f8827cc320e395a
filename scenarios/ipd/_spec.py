"""How ``rafa play ipd`` builds the game: its entry in the games registry."""

from __future__ import annotations

from collections.abc import Callable

from rafa_async.scenarios._games import GameSpec, PolicyFactory, SeatPolicy, Seeded

from ._game import PrisonersDilemma
from ._oracle import PrisonersDilemmaOracle
from ._policies import (
    AlwaysCooperate,
    AlwaysDefect,
    Grim,
    Random,
    Strategy,
    TitForTat,
    seat_policy,
)
from ._state import IPDState
from ._world import Node, PrisonersDilemmaWorld


def _strategy(factory: Callable[[], Strategy]) -> PolicyFactory[IPDState]:
    def build(*, seed: int) -> SeatPolicy[IPDState]:
        return seat_policy(factory())  # deterministic: no seed

    return build


def _seeded(factory: Seeded[Strategy]) -> PolicyFactory[IPDState]:
    def build(*, seed: int) -> SeatPolicy[IPDState]:
        return seat_policy(factory(seed=seed))

    return build


def game_spec() -> GameSpec[IPDState, Node]:
    """The iterated prisoner's dilemma for ``rafa play``: p1 and p2, 20 rounds."""
    return GameSpec(
        name="ipd",
        description="Iterated prisoner's dilemma, 2 players x 20 rounds; seats p1, p2",
        seats=("p1", "p2"),
        make=PrisonersDilemma,
        world=PrisonersDilemmaWorld,
        oracle=PrisonersDilemmaOracle,
        policies={
            "tit-for-tat": _strategy(TitForTat),
            "grim": _strategy(Grim),
            "always-defect": _strategy(AlwaysDefect),
            "always-cooperate": _strategy(AlwaysCooperate),
            "random": _seeded(Random),
        },
        default_seats={"p1": "rafa", "p2": "tit-for-tat"},
    )
