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
    moves: list[dict[str, str]]
    """Each turn's actions so far, seat -> action."""
    plans: dict[str, dict[str, Any]]
    """Each seat's latest plan event (PlanStarted/PlanCompleted/PlanCancelled)."""
    error: str | None = None
    result: MatchRecord | None = None


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


class Snapshot(msgspec.Struct, kw_only=True, tag=True):
    """The first message of a match's WebSocket: its state when the client joined."""

    match: MatchView


class MatchClosed(msgspec.Struct, kw_only=True, tag=True):
    """The last message of every match's stream, however it ended (a
    cancelled or failed match has no ``MatchEnded``): its status and record."""

    match: str
    status: MatchStatus
    error: str | None = None
    result: MatchRecord | None = None
