"""Seat kinds: who can sit at a game's seat, in one table, built one way.

A seat kind is a name (``rafa``, ``direct``, ``random``...) and what it
takes to build that player.  :data:`SEAT_KINDS` holds the kinds every game
takes -- the LLM players -- and each game adds its fixed policies
(:attr:`~rafa_async.scenarios.GameSpec.policies`).  :func:`make_player` is
the one way to build a player from a kind: ``rafa play``, a series
(:func:`~rafa_async.app.play_series`) and any program call it, so a kind
means the same everywhere, and a new kind is one entry here (or one policy
in its game's spec).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import msgspec

from rafa_async._errors import ConfigError
from rafa_async._events import EventRecorder
from rafa_async._match import Player
from rafa_async.agents import (
    DirectPlayer,
    Memory,
    PolicyPlayer,
    RafaPlayer,
    SearchToEndPlayer,
)
from rafa_async.llm import LLM
from rafa_async.planners import MPCPlanner, SearchToEndPlanner
from rafa_async.scenarios import GameModel, GameSpec


class SeatOptions(msgspec.Struct, frozen=True, kw_only=True):
    """How LLM players play (the same for every seat of a series)."""

    n_candidates: int = 5
    """RAFA: moves proposed per decision."""
    n_evaluate: int = 1
    """RAFA: value samples per candidate."""
    speculate: bool = False
    """RAFA: plan for the predicted reply while the opponent thinks."""


@dataclass(frozen=True, slots=True)
class SeatContext:
    """Where a player sits: the match it plays and what it shares with the
    others.  ``world`` is the game's world model for ``seat``; ``memory``
    the player's (``None`` for a player without one); ``seed`` and
    ``episode`` seed a fixed policy, so each match of a series differs."""

    llm: LLM
    spec: GameSpec[Any, Any]
    world: GameModel[Any]
    seat: str
    memory: Memory | None = None
    recorder: EventRecorder | None = None
    seed: int = 0
    episode: int = 0


SeatFactory = Callable[[SeatOptions, SeatContext], Player]
"""Builds one seat's player for one match."""


@dataclass(frozen=True, slots=True)
class SeatKind:
    """A kind of player any game's seat takes.  ``uses_llm``: it calls the
    LLM (so it keeps a memory across matches, and a series of players
    without it needs no provider key)."""

    uses_llm: bool
    factory: SeatFactory
    description: str
    games: frozenset[str] | None = None
    """The games whose seats take it (None: every game)."""

    def takes(self, spec: GameSpec[Any, Any]) -> bool:
        return self.games is None or spec.name in self.games


def _rafa(options: SeatOptions, context: SeatContext) -> Player:
    planner = MPCPlanner(
        context.llm,
        context.world,
        n_candidates=options.n_candidates,
        n_evaluate=options.n_evaluate,
    )
    return RafaPlayer(
        planner,
        opponent_model=planner,
        speculate=options.speculate,
        memory=context.memory,
        recorder=context.recorder,
    )


def _direct(options: SeatOptions, context: SeatContext) -> Player:
    return DirectPlayer(context.llm, context.world, memory=context.memory)


def _llm_fixed(options: SeatOptions, context: SeatContext) -> Player:
    return DirectPlayer(context.llm, context.world, memory=context.memory, learn=False)


def _rafa_search(options: SeatOptions, context: SeatContext) -> Player:
    world: Any = context.world  # a game of the kind's ``games``: it has the learned models
    planner: SearchToEndPlanner[Any] = SearchToEndPlanner(
        context.llm, world, b=options.n_candidates
    )
    return SearchToEndPlayer(planner, world, memory=context.memory)


SEAT_KINDS: Mapping[str, SeatKind] = MappingProxyType(
    {
        "rafa": SeatKind(
            uses_llm=True,
            factory=_rafa,
            description="MPC look-ahead, the LLM as actor, opponent model and critic",
        ),
        "direct": SeatKind(uses_llm=True, factory=_direct, description="one LLM call per move"),
        "llm-fixed": SeatKind(
            uses_llm=True,
            factory=_llm_fixed,
            description="one LLM call per move, never learning (the paper's fixed X)",
        ),
        "rafa-search": SeatKind(
            uses_llm=True,
            factory=_rafa_search,
            description="search to the game's end with learned models, learning on "
            "mispredictions (the paper's Tic-Tac-Toe RAFA)",
            games=frozenset({"tictactoe"}),
        ),
    }
)
"""The kinds every game's seats take, by name (read-only); each game adds
its fixed policies."""

LLM_KINDS = tuple(name for name, kind in SEAT_KINDS.items() if kind.uses_llm)
"""The seat kinds that call the LLM."""

POLICY_SEED_STRIDE = 1_000_003
"""A fixed policy in match ``episode`` of a series seeded ``seed`` is seeded
``seed * POLICY_SEED_STRIDE + episode``: each match differs, every series
with the same seed plays the same ones."""


def seat_kinds(spec: GameSpec[Any, Any]) -> tuple[str, ...]:
    """Every kind a seat of ``spec``'s game takes: the generic ones (that take
    this game), then the game's fixed policies."""
    return (*(name for name, kind in SEAT_KINDS.items() if kind.takes(spec)), *spec.policies)


def uses_llm(kind: str) -> bool:
    """Whether a player of ``kind`` calls the LLM (a fixed policy never does)."""
    generic = SEAT_KINDS.get(kind)
    return generic is not None and generic.uses_llm


def make_player(kind: str, options: SeatOptions, context: SeatContext) -> Player:
    """A player of ``kind`` for ``context``'s seat: a kind of
    :data:`SEAT_KINDS`, else one of the game's fixed policies, seeded for
    the match (:data:`POLICY_SEED_STRIDE`).  :class:`ConfigError` listing
    the kinds the game takes if it is neither."""
    generic = SEAT_KINDS.get(kind)
    if generic is not None and generic.takes(context.spec):
        return generic.factory(options, context)
    policy = context.spec.policies.get(kind)
    if policy is None:
        raise ConfigError(
            f"unknown player {kind!r} for seat {context.seat} "
            f"(known: {', '.join(seat_kinds(context.spec))})"
        )
    return PolicyPlayer(policy(seed=context.seed * POLICY_SEED_STRIDE + context.episode), name=kind)
