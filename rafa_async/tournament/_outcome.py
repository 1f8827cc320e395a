"""What one played match leaves behind: the result, the moves, each seat's
LLM calls, tokens, cost and decision times, and every call's timing.

An executor (in process, or a Ray worker on another machine) returns a
:class:`MatchOutcome`; the runner writes it to the database in one
transaction.  It is a msgspec Struct so it crosses process boundaries as
compact bytes.
"""

from __future__ import annotations

from typing import Literal

import msgspec

MatchState = Literal["planned", "running", "finished", "failed", "skipped"]
"""A match's state in the database: ``planned`` (not started), ``running``
(started, not written: rerun on resume), ``finished``, ``failed`` (a
provider error decided it; ``retry-failed`` reruns it) or ``skipped`` (its
pairing was decided by the SPRT before it started)."""


class SeatOutcome(msgspec.Struct, kw_only=True):
    """One seat of a played match."""

    seat: str
    participant: str
    kind: str
    provider: str
    """``sim``, ``PROVIDER:MODEL``, or ``-`` for a player that calls no LLM."""
    score: float
    llm_calls: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    """Dollars by the price table (``None``: unknown; 0: the sim, or no LLM)."""
    decisions: list[float] = msgspec.field(default_factory=list)
    """Seconds from each of its turns' start to its move (a late move: to the deadline)."""
    late: int = 0
    rejected: int = 0


class CallOutcome(msgspec.Struct, array_like=True):
    """One LLM call of a match, in seconds from the match's start."""

    seat: str
    call: int
    intent: str
    outcome: str
    """``ok``, ``error`` or ``cancelled``."""
    start: float
    latency: float
    prompt_tokens: int = 0
    completion_tokens: int = 0


class MatchOutcome(msgspec.Struct, kw_only=True):
    """A played match, ready to be written."""

    match_id: str
    status: Literal["finished", "failed"]
    error: str | None = None
    """Why it failed (``None`` when finished)."""
    scores: dict[str, float]
    """Seat -> score (empty when the match stopped before its end)."""
    turns: int
    moves: list[dict[str, str]]
    """Each turn's actions, seat -> action."""
    digest: str
    """The match log's digest (equal logs, equal digests; timing left out)."""
    wall_s: float
    simulated: bool
    """Its LLM calls were answered by the simulated LLM (or it made none)."""
    seats: list[SeatOutcome]
    calls: list[CallOutcome] = msgspec.field(default_factory=list)
    turn_starts: list[float] = msgspec.field(default_factory=list)
    """Each turn's start, seconds from the match's start (places calls in decisions)."""
