"""Latency figures of a tournament: percentiles, decisions, critical paths.

Percentiles are the ones a latency report quotes (p50, p90, p99, p99.9),
by linear interpolation between order statistics (``statistics.quantiles``
with ``method="inclusive"``, numpy's default): the p-th percentile of ``n``
sorted values sits at rank ``1 + (n - 1) p / 100``, so it never lies
outside the values seen; with fewer than 1000 values p99.9 interpolates
between the two largest.

A *decision* is one seat's turn of one match, named
``MATCH_ID:SEAT:TURN`` (turns count from 1).  An LLM call belongs to the
decision of its seat and of the turn whose window (from that turn's start
to the next one's) holds the call's start.  The database stores times to
the microsecond, so a call that starts at its turn's very start may be
stored up to :data:`TOLERANCE` before it; that much slack keeps it in its
turn.

The *critical path* of a set of concurrent calls (a decision's) is the
chain that bounds how fast they could have finished: start from the call
that ended last; then, repeatedly, step to the call that ended latest
before the current one started (ties: the later start, then the higher
call number), until no call ended before it.  Each step is the call the
current one most plausibly waited for; the path's calls never overlap,
so the sum of their latencies is LLM time no amount of concurrency could
have hidden.  (Within :data:`TOLERANCE`, a call ending just as the next
starts counts as ending before it.)
"""

from __future__ import annotations

import statistics
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from rafa_async._errors import ConfigError
from rafa_async.tournament._outcome import CallOutcome

PERCENTILES: tuple[float, ...] = (50.0, 90.0, 99.0, 99.9)
"""The percentiles the report quotes."""

TOLERANCE = 1e-6
"""Seconds of slack when comparing stored times (they are rounded to the microsecond)."""


class Percentiles(msgspec.Struct, frozen=True, kw_only=True):
    """A sample's size, mean, maximum and its :data:`PERCENTILES` (all
    ``None`` for an empty sample)."""

    n: int
    mean: float | None
    max: float | None
    values: tuple[float, ...] | None
    """One per :data:`PERCENTILES`, in that order."""


def percentiles(sample: Iterable[float]) -> Percentiles:
    """The :class:`Percentiles` of ``sample`` (see the module's definition)."""
    data = sorted(sample)
    if not data:
        return Percentiles(n=0, mean=None, max=None, values=None)
    cuts = permille(data)
    return Percentiles(
        n=len(data),
        mean=statistics.fmean(data),
        max=data[-1],
        values=tuple(cuts[round(p * 10) - 1] for p in PERCENTILES),
    )


def permille(sample: Sequence[float]) -> list[float]:
    """The 999 cut points of ``sample`` (not empty) at 0.1%, 0.2% ... 99.9%,
    by the module's interpolation (what a percentile plot draws)."""
    if len(sample) == 1:
        return [sample[0]] * 999
    return statistics.quantiles(sample, n=1000, method="inclusive")


class DecisionKey(msgspec.Struct, frozen=True, order=True):
    """One seat's decision: its match, its seat and the turn (from 1)."""

    match_id: str
    seat: str
    turn: int

    def __str__(self) -> str:
        return f"{self.match_id}:{self.seat}:{self.turn}"


def parse_decision(text: str) -> DecisionKey:
    """``MATCH_ID:SEAT:TURN`` (match ids hold colons themselves: the last
    two fields are the seat and the turn); :class:`ConfigError` if malformed."""
    match_id, seat, turn = ([""] * 3 + text.rsplit(":", 2))[-3:]
    if not (match_id and seat and turn.isdigit() and int(turn) >= 1):
        raise ConfigError(
            f"--decision {text!r}: expected MATCH_ID:SEAT:TURN (TURN a number from 1)",
            fields=("decision",),
        )
    return DecisionKey(match_id, seat, int(turn))


def turn_of(start: float, turn_starts: Sequence[float]) -> int | None:
    """The turn (from 1) whose window holds a call started at ``start``;
    ``None`` before the first turn."""
    turn = bisect_right(turn_starts, start + TOLERANCE)
    return turn or None


def by_decision(
    calls: Iterable[tuple[str, CallOutcome]], turn_starts: Mapping[str, Sequence[float]]
) -> tuple[dict[DecisionKey, list[CallOutcome]], int]:
    """Each decision's calls (in call order), and how many calls started
    before their match's first turn (they belong to no decision)."""
    decisions: dict[DecisionKey, list[CallOutcome]] = {}
    outside = 0
    for match_id, call in calls:
        turn = turn_of(call.start, turn_starts.get(match_id, ()))
        if turn is None:
            outside += 1
            continue
        decisions.setdefault(DecisionKey(match_id, call.seat, turn), []).append(call)
    for group in decisions.values():
        group.sort(key=lambda c: c.call)
    return decisions, outside


def busiest(decisions: Mapping[DecisionKey, Sequence[CallOutcome]]) -> DecisionKey | None:
    """The decision with the most calls (ties: the first by match, seat, turn)."""
    if not decisions:
        return None
    return min(decisions, key=lambda key: (-len(decisions[key]), key))


def end(call: CallOutcome) -> float:
    """When ``call`` ended, in seconds from its match's start."""
    return call.start + call.latency


def critical_path(calls: Sequence[CallOutcome]) -> list[CallOutcome]:
    """The critical path of ``calls`` (see the module's definition), in time order."""

    def latest(candidates: Iterable[CallOutcome]) -> CallOutcome | None:
        return max(candidates, key=lambda c: (end(c), c.start, c.call), default=None)

    current = latest(calls)
    path: list[CallOutcome] = []
    while current is not None:
        path.append(current)
        begin = current.start
        current = latest(c for c in calls if end(c) <= begin + TOLERANCE and c not in path)
    return path[::-1]
