"""The registry of shared-match games (``rafa play``): how to build each one.

One table, :data:`GAME_PACKAGES`: a game's name and the package whose
``game_spec()`` builds its :class:`GameSpec`.  A spec is typed against the protocols its parts
implement -- ``make`` builds a :class:`~rafa_async.Game`, ``world`` a
:class:`~rafa_async.scenarios.GameModel` -- so mypy checks a new game
against them where its package's ``game_spec()`` constructs the spec.
Each game's package is imported on first use, so listing the games imports
none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import import_module
from typing import Any, Generic, Literal, Protocol, TypeVar

from rafa_async import Game, Seat
from rafa_async._errors import ConfigError
from rafa_async.llm import Oracle

from ._world_models import GameModel

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
    grid: Callable[[str], list[str] | None] | None = None
    """The board a rendered state shows, drawn for a display: rows of
    one-character cells, top row first (``None``: the game is not drawn on a
    grid, or this text cannot be).  The live page of ``rafa serve`` draws it."""


def key_rows(key: str) -> list[str]:
    """A board game's key as rows, top first (tic-tac-toe, Connect Four:
    ``X../.O./...``)."""
    return key.split("/")


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


GAME_PACKAGES: Mapping[str, str] = {
    "tictactoe": "rafa_async.scenarios.tictactoe",
    "connect4": "rafa_async.scenarios.connect4",
    "ipd": "rafa_async.scenarios.ipd",
    "gridworld": "rafa_async.scenarios.gridworld",
    "nim": "rafa_async.scenarios.nim",
}
"""Every game ``rafa play`` knows: its name and the package whose
``game_spec()`` builds it.  Adding a game is its package plus one line here;
the game contract tests loop over this table."""


def _build(package: str) -> GameSpec[Any, Any]:
    module = import_module(package)
    spec: GameSpec[Any, Any] = module.game_spec()
    return spec


GAME_BUILDERS: Mapping[str, Callable[[], GameSpec[Any, Any]]] = {
    name: partial(_build, package) for name, package in GAME_PACKAGES.items()
}
"""Every game ``rafa play`` knows: its name and how to build its spec (its
package is imported on first use, so listing the games imports none)."""

GAMES = tuple(GAME_BUILDERS)
"""Every game ``rafa play`` knows, by name."""


def get_game(name: str) -> GameSpec[Any, Any]:
    """The game called ``name``; :class:`ConfigError` listing the known ones if none."""
    builder = GAME_BUILDERS.get(name)
    if builder is None:
        raise ConfigError(f"unknown game {name!r} (known: {', '.join(GAMES)})")
    return builder()
