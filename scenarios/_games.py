"""The registry of shared-match games (``rafa play``): how to build each one.

One table, :data:`GAME_BUILDERS`: a game's name and the function that builds
its :class:`GameSpec`.  A spec is typed against the protocols its parts
implement -- ``make`` builds a :class:`~rafa_async.Game`, ``world`` a
:class:`~rafa_async.scenarios.GameModel` -- so mypy checks a new game
against them where its builder constructs the spec.  The builders import
their game on first use, so listing the games imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from rafa_async import Game, Seat
from rafa_async._errors import ConfigError
from rafa_async.llm import Oracle

from ._world_models import GameModel

if TYPE_CHECKING:
    from rafa_async.scenarios.connect4 import ConnectFourState
    from rafa_async.scenarios.gridworld import ForagingState, PlanState
    from rafa_async.scenarios.ipd import IPDState, Node
    from rafa_async.scenarios.nim import NimState
    from rafa_async.scenarios.tictactoe import TicTacToeState

S = TypeVar("S")
"""The game's state type."""
N = TypeVar("N")
"""What the world model plans over: the game's states, or a wider type
(a local view, a round with one move committed) that includes them."""
S_contra = TypeVar("S_contra", contravariant=True)
M_co = TypeVar("M_co", covariant=True)


class Seeded(Protocol[M_co]):
    """Builds something from a seed given *by keyword*: ``factory(seed=...)``.

    Policies take their options keyword-only and the registry passes the seed
    by name, so a seed can never land in another int option (a seed passed
    positionally became Connect Four's search depth: depth 0 crashed, a large
    seed searched forever).  mypy checks every factory against this.
    """

    def __call__(self, *, seed: int) -> M_co: ...


SeatPolicy = Callable[[Seat[S]], str]
"""A fixed (non-LLM) policy: picks an action for a seat."""

PolicyFactory = Seeded[SeatPolicy[S]]
"""Builds a seat policy for one match: ``factory(seed=...)``."""


class _Mover(Protocol[S_contra]):
    def move(self, state: S_contra) -> str: ...


class _PlayerMover(Protocol[S_contra]):
    def move(self, state: S_contra, player: str) -> str: ...


@dataclass(frozen=True, slots=True)
class GameSpec(Generic[S, N]):
    """What ``rafa play`` needs to know about a game."""

    name: str
    description: str
    seats: Sequence[str]
    make: Callable[[], Game[S]]
    world: Callable[[str], GameModel[N]]
    """The LLM-facing world model for a seat (some games bind it to the seat)."""
    oracle: Callable[[], Oracle]
    policies: Mapping[str, PolicyFactory[S]]
    """Fixed policies by seat kind; each is built with the match's seed."""
    default_seats: Mapping[str, str]
    """Who plays each seat when ``rafa play`` is not told."""
    scoring: Literal["outcome", "share"] = "outcome"
    """``outcome``: scores are win 1 / draw 0.5 / loss 0.  ``share``: a score
    is a fraction (e.g. of the best forager's food); wins/draws/losses do not
    apply."""


class _OnState(Generic[S]):
    """A seat policy that plays ``policy.move(seat.state)``, CPU-heavy if the
    policy says so (``cpu_heavy``: a PolicyPlayer then runs it in a thread)."""

    def __init__(self, policy: _Mover[S]) -> None:
        self.policy = policy
        self.cpu_heavy = bool(getattr(policy, "cpu_heavy", False))

    def __call__(self, seat: Seat[S]) -> str:
        return self.policy.move(seat.state)


def state_policy(factory: Seeded[_Mover[S]]) -> PolicyFactory[S]:
    """Adapt a ``policy.move(state)`` class to a seat policy."""

    def build(*, seed: int) -> SeatPolicy[S]:
        return _OnState(factory(seed=seed))

    return build


def player_policy(factory: Seeded[_PlayerMover[S]]) -> PolicyFactory[S]:
    """Adapt a ``policy.move(state, player)`` class to a seat policy (a
    simultaneous game's policy moves for the seat's player)."""

    def build(*, seed: int) -> SeatPolicy[S]:
        policy = factory(seed=seed)
        return lambda seat: policy.move(seat.state, seat.player)

    return build


def _tictactoe() -> GameSpec[TicTacToeState, TicTacToeState]:
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
        default_seats={"X": "rafa", "O": "random"},
    )


def _connect4() -> GameSpec[ConnectFourState, ConnectFourState]:
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
            # The seed picks among equally good moves; the depth stays the default.
            "negamax": state_policy(lambda seed: c4.NegamaxPolicy(seed=seed)),
        },
        default_seats={"R": "rafa", "Y": "random"},
    )


def _ipd() -> GameSpec[IPDState, Node]:
    from rafa_async.scenarios import ipd

    def strategy(factory: Callable[[], ipd.Strategy]) -> PolicyFactory[IPDState]:
        def build(*, seed: int) -> SeatPolicy[IPDState]:
            return ipd.seat_policy(factory())  # deterministic: no seed

        return build

    def seeded(factory: Seeded[ipd.Strategy]) -> PolicyFactory[IPDState]:
        def build(*, seed: int) -> SeatPolicy[IPDState]:
            return ipd.seat_policy(factory(seed=seed))

        return build

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
            "random": seeded(ipd.Random),
        },
        default_seats={"p1": "rafa", "p2": "tit-for-tat"},
    )


GRIDWORLD_AGENTS = 6


def _gridworld() -> GameSpec[ForagingState, PlanState]:
    from rafa_async.scenarios import gridworld as gw

    game = gw.Foraging(12, 12, GRIDWORLD_AGENTS, 8, seed=1, max_ticks=30, vision=3)
    world = gw.ForagingWorld(game)
    half = GRIDWORLD_AGENTS // 2
    return GameSpec(
        name="gridworld",
        description=(
            f"Foraging: {GRIDWORLD_AGENTS} agents a0-a{GRIDWORLD_AGENTS - 1} on a 12x12 map, "
            "simultaneous moves, 30 ticks; score = food eaten / best forager's "
            "(benchmarks/scale_gridworld.py runs thousands in real time)"
        ),
        seats=game.players,
        make=lambda: game,
        world=world.for_player,
        oracle=gw.ForagingOracle,
        policies={
            "greedy": player_policy(partial(gw.GreedyPolicy, game)),
            "random": player_policy(gw.RandomPolicy),
            "stay": player_policy(lambda *, seed: gw.StayPolicy()),
        },
        default_seats={p: "rafa" if i < half else "greedy" for i, p in enumerate(game.players)},
        scoring="share",
    )


def _nim() -> GameSpec[NimState, NimState]:
    from rafa_async.scenarios import nim

    return GameSpec(
        name="nim",
        description="Nim from heaps 3 4 5; seats A (first) and B; a move 2:3 takes 3 from heap 2",
        seats=nim.PLAYERS,
        make=nim.Nim,
        world=lambda seat: nim.NimWorld(),
        oracle=nim.NimOracle,
        policies={
            "random": state_policy(nim.RandomPolicy),
            "perfect": state_policy(nim.PerfectPolicy),
        },
        default_seats={"A": "rafa", "B": "random"},
    )


GAME_BUILDERS: Mapping[str, Callable[[], GameSpec[Any, Any]]] = {
    "tictactoe": _tictactoe,
    "connect4": _connect4,
    "ipd": _ipd,
    "gridworld": _gridworld,
    "nim": _nim,
}
"""Every game ``rafa play`` knows: its name and how to build its spec."""

GAMES = tuple(GAME_BUILDERS)
"""Every game ``rafa play`` knows, by name."""


def get_game(name: str) -> GameSpec[Any, Any]:
    """The game called ``name``; :class:`ConfigError` listing the known ones if none."""
    builder = GAME_BUILDERS.get(name)
    if builder is None:
        raise ConfigError(f"unknown game {name!r} (known: {', '.join(GAMES)})")
    return builder()
