"""Elo differences with 95% intervals, from game scores.

Elo here is the logistic Elo of chess: a player expected to score ``s``
against an opponent is ``-400 log10(1/s - 1)`` points stronger.  The point
estimate comes from the score fraction; the interval from the variance of
the results, as fishtest and fastchess compute it:

- *pentanomial* where the games come in colour-swapped pairs: each pair is
  one sample scoring 0, 0.5, 1, 1.5 or 2, so the seat advantage (and any
  other correlation between the two games of a pair) stays out of the
  variance instead of inflating it;
- *trinomial* (win/draw/loss) for the games with no partner.

A mix of both adds the two variances (pairs and single games are
independent), so either alone is the special case.  The interval is the
normal approximation's ``score ± 1.96 standard errors`` mapped to Elo.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import pvariance

import msgspec

from rafa_async.app import Z95


def elo_difference(score: float) -> float:
    """The logistic Elo difference that expects ``score`` (a fraction of the
    points); ``-inf`` at 0 and ``+inf`` at 1 (no finite difference expects
    a shut-out)."""
    if score <= 0.0:
        return -math.inf
    if score >= 1.0:
        return math.inf
    return -400.0 * math.log10(1.0 / score - 1.0)


def expected_score(elo: float) -> float:
    """The score fraction a logistic Elo difference ``elo`` expects."""
    return 1.0 / (1.0 + math.pow(10.0, -elo / 400.0))


class EloEstimate(msgspec.Struct, frozen=True, kw_only=True):
    """An Elo difference with its 95% interval, and the samples behind it.

    ``elo``: from the score fraction ``score``; ``+inf`` for a clean sweep,
    ``-inf`` when every game was lost; ``None`` with no games.  ``lower``
    and ``upper``: the 95% interval, ``±inf`` where it reaches a score of 0
    or 1; ``None`` when the games give no variance to build one from (no
    games, one game, or every sample the same: all wins, all draws...), as
    the normal approximation cannot bound those.  (JSON has no infinity:
    msgspec writes ``±inf`` as ``null``; format them before encoding.)
    ``pairs``: the colour-swapped pairs (pentanomial samples), ``unpaired``:
    the single games (trinomial samples); ``games == 2 * pairs + unpaired``.
    """

    elo: float | None
    lower: float | None
    upper: float | None
    score: float | None
    games: int
    pairs: int
    unpaired: int


def elo_estimate(
    pair_points: Sequence[float], game_points: Sequence[float], *, z: float = Z95
) -> EloEstimate:
    """The Elo estimate of one side from its points in each colour-swapped
    pair (0 to 2, pentanomial) and in each unpaired game (0 to 1, trinomial).

    The variance of the total is the sum over both kinds of sample of the
    count times the observed (population) variance of that kind; ``z``
    sets the interval's width (1.96 for 95%)."""
    pairs, unpaired = len(pair_points), len(game_points)
    games = 2 * pairs + unpaired
    if games == 0:
        return EloEstimate(
            elo=None, lower=None, upper=None, score=None, games=0, pairs=0, unpaired=0
        )
    score = (math.fsum(pair_points) + math.fsum(game_points)) / games
    samples = [points for points in (pair_points, game_points) if points]
    variance = math.fsum(len(points) * pvariance(points) for points in samples)
    lower = upper = None
    if variance > 0.0:
        error = math.sqrt(variance) / games
        lower = elo_difference(score - z * error)
        upper = elo_difference(score + z * error)
    return EloEstimate(
        elo=elo_difference(score),
        lower=lower,
        upper=upper,
        score=score,
        games=games,
        pairs=pairs,
        unpaired=unpaired,
    )
