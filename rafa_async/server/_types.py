"""The server's wire types: what a client sends and what it gets back.

msgspec structs, so a request body is validated as it is decoded (a bad one
gets a 4xx naming the field) and the OpenAPI document is generated from the
very types the routes use (:mod:`rafa_async.server._openapi`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

from rafa_async.app import MatchRecord

MatchStatus = Literal["running", "finished", "cancelled", "failed"]
TERMINAL: frozenset[str] = frozenset({"finished", "cancelled", "failed"})


class MatchRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /matches``: one match of ``game`` between ``seats`` (seat -> player kind)."""

    game: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    seats: Annotated[dict[str, str], msgspec.Meta(max_length=16)]
    seed: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)] = 0
    n_candidates: Annotated[int, msgspec.Meta(ge=1, le=64)] | None = None
    """RAFA: moves proposed per decision (default: the library's)."""
    latency_scale: Annotated[float, msgspec.Meta(ge=0.0, le=100.0)] | None = None
    """Scale the sim's latency for this match (default: the server's)."""


class MatchView(msgspec.Struct, kw_only=True):
    """A match as ``GET /matches/{id}`` shows it (and a WebSocket's snapshot).

    ``simulated`` is true for every match the server plays on the sim: its
    results say nothing about a real model."""

    id: str
    game: str
    seats: dict[str, str]
    seed: int
    status: MatchStatus
    simulated: bool
    turn: int
    board: str | None
    """The latest board, as the game renders it (``None`` before the first turn)."""
    grid: list[str] | None = None
    """That board drawn: rows of one-character cells, top row first (``None``
    for a game not drawn on a grid).  Board events on the WebSocket carry
    theirs too."""
    moves: list[dict[str, str]]
    """Each turn's actions so far, seat -> action."""
    plans: dict[str, dict[str, Any]]
    """Each seat's latest plan event (PlanStarted/PlanCompleted/PlanCancelled)."""
    error: str | None = None
    result: MatchRecord | None = None


class GameInfo(msgspec.Struct, kw_only=True):
    """A game a match can be played in: its seats, who sits there by
    default, and the player kinds a seat can take."""

    name: str
    description: str
    seats: list[str]
    default_seats: dict[str, str]
    kinds: list[str]
    scoring: Literal["outcome", "share"]
    """``outcome``: a match is won, drawn or lost; ``share``: each seat
    scores a fraction, and nobody wins."""


class GameList(msgspec.Struct, kw_only=True):
    """``GET /games``: every game, in the order ``rafa play`` lists them."""

    games: list[GameInfo]


class MatchCreated(msgspec.Struct, kw_only=True):
    id: str
    status: MatchStatus
    simulated: bool


class MatchPage(msgspec.Struct, kw_only=True):
    """``GET /matches``: ``matches[offset:offset+limit]`` of ``total``, oldest first."""

    total: int
    offset: int
    limit: int
    matches: list[MatchView]


class ErrorBody(msgspec.Struct, kw_only=True):
    """Every 4xx/5xx answer.  ``field``: the request field at fault, if one is."""

    error: str
    field: str | None = None


class CallView(msgspec.Struct, kw_only=True):
    """One LLM call of a match: who made it, what for, when it started and
    ended (the server's clock, seconds; ``end`` and ``outcome`` are ``null``
    while it is in flight)."""

    seat: str
    call: int
    intent: str
    start: float
    end: float | None = None
    outcome: str | None = None


class Snapshot(msgspec.Struct, kw_only=True, tag=True):
    """The first message of a match's WebSocket: its state when the client
    joined, with its newest LLM calls (at most :data:`RECENT_CALLS`), so a
    late joiner's timeline starts full."""

    match: MatchView
    calls: list[CallView] = []


RECENT_CALLS = 400
"""LLM calls a snapshot carries, newest last."""


class MatchClosed(msgspec.Struct, kw_only=True, tag=True):
    """The last message of every match's stream, however it ended (a
    cancelled or failed match has no ``MatchEnded``): its status and record."""

    match: str
    status: MatchStatus
    error: str | None = None
    result: MatchRecord | None = None


TournamentStatus = Literal["running", "finished", "cancelled", "failed"]


class TournamentRequest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``POST /tournaments``: a ``tournament.toml``'s text (on the simulated
    LLM: every participant's provider is ``sim``)."""

    config: Annotated[str, msgspec.Meta(min_length=1)]


class TournamentCounts(msgspec.Struct, kw_only=True):
    """Matches by state; ``planned`` counts every match the tournament will
    play (those an SPRT decision made unnecessary are ``skipped`` instead)."""

    planned: int
    finished: int
    failed: int
    running: int
    skipped: int


class StandingRow(msgspec.Struct, kw_only=True):
    """One participant, best first.  Once a game has finished: its openskill
    ``mu`` and ``sigma``, and its Elo against the field with the 95%
    interval (``null`` where infinite, as after a clean sweep, or where the
    games cannot bound it; ``score``, its score fraction, tells which)."""

    participant: str
    games: int
    points: float
    score: float | None = None
    elo: float | None = None
    elo_lower: float | None = None
    elo_upper: float | None = None
    mu: float | None = None
    sigma: float | None = None


class TournamentView(msgspec.Struct, kw_only=True):
    """A tournament as ``GET /tournaments/{id}`` shows it.  ``simulated``:
    its results came from the simulated LLM (``label`` says so in words)."""

    id: str
    name: str
    status: TournamentStatus
    simulated: bool
    label: str
    counts: TournamentCounts
    eta_s: float | None
    """Seconds left at this run's pace (``null`` before a match ends and once it is over)."""
    llm_calls_per_s: float
    standings: list[StandingRow]
    error: str | None = None


class TournamentCreated(msgspec.Struct, kw_only=True):
    id: str
    status: TournamentStatus
    simulated: bool


class TournamentList(msgspec.Struct, kw_only=True):
    """``GET /tournaments``: every tournament remembered, oldest first."""

    tournaments: list[TournamentView]
