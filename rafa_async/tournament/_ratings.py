"""The standings: openskill ratings with uncertainty, Elo with 95% intervals.

Two views of the same games, both recomputed from scratch each time (from
the database, say), so they never drift from what was played:

- openskill's Plackett-Luce model (default parameters) rates every
  participant as ``mu ± sigma``; the rows rank by the conservative
  ``ordinal = mu - 3 sigma``, so a participant with few games does not top
  the table by luck.  The games are rated in ``match_id`` order, whatever
  order they come in, so the ratings are a function of the set of games;
- Elo (see :mod:`rafa_async.tournament._elo`): each participant's
  performance against the field it met, and each pairing head to head.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import msgspec
from openskill.models import PlackettLuce, PlackettLuceRating

from rafa_async.tournament._elo import EloEstimate, elo_estimate
from rafa_async.tournament._games import (
    Pair,
    check_results,
    pentanomial,
    points,
    side_scores,
    split_pairs,
    trinomial,
)
from rafa_async.tournament._results import GameResult
from rafa_async.tournament._table import participant_names, tally

_RANKS: dict[float, list[float]] = {1.0: [0, 1], 0.5: [0, 0], 0.0: [1, 0]}
"""openskill's ranks (lower is better) of (first, second) for first's score."""


class Rating(msgspec.Struct, frozen=True, kw_only=True):
    """One participant's row of the standings.

    ``mu``, ``sigma``, ``ordinal``: its openskill rating (``ordinal = mu -
    3 sigma``, what the rows are ranked by).  ``elo``: its performance
    against the field, the Elo difference to its average opponent that its
    score fraction implies, with a 95% interval.
    """

    name: str
    games: int
    wins: int
    draws: int
    losses: int
    points: float
    mu: float
    sigma: float
    ordinal: float
    elo: EloEstimate


class HeadToHead(msgspec.Struct, frozen=True, kw_only=True):
    """One pairing's record, from ``first``'s side (the name sorted first).

    ``pentanomial[k]``: the colour-swapped pairs in which ``first`` scored
    ``k / 2`` points (0, 0.5, 1, 1.5, 2); ``trinomial[k]``: the unpaired
    games in which it scored ``k / 2`` (losses, draws, wins).  ``elo``:
    ``first`` minus ``second``, with a 95% interval.
    """

    pairing: str
    first: str
    second: str
    games: int
    wins: int
    draws: int
    losses: int
    pentanomial: tuple[int, int, int, int, int]
    trinomial: tuple[int, int, int]
    elo: EloEstimate


class Standings(msgspec.Struct, frozen=True, kw_only=True):
    """Every participant best first (by openskill ordinal, then name), and
    every pairing that has played, by name; ``games``: the games rated."""

    rows: tuple[Rating, ...]
    pairings: tuple[HeadToHead, ...]
    games: int


def openskill_ratings(
    results: Iterable[GameResult], participants: Sequence[str] = ()
) -> dict[str, PlackettLuceRating]:
    """Each participant's openskill (Plackett-Luce, default parameters)
    rating after the games in ``match_id`` order, a draw a tie; a participant
    with no game keeps the prior."""
    games = check_results(results)
    model = PlackettLuce()
    ratings = {name: model.rating(name=name) for name in participant_names(games, participants)}
    for game in games:
        [[first], [second]] = model.rate(
            [[ratings[game.first]], [ratings[game.second]]], ranks=_RANKS[game.score]
        )
        ratings[game.first], ratings[game.second] = first, second
    return ratings


def standings(results: Iterable[GameResult], participants: Sequence[str] = ()) -> Standings:
    """The :class:`Standings` of the games; ``participants``: names to list
    even before they have played (everyone who played is listed anyway).
    :class:`~rafa_async.ConfigError` naming the match if a game is
    malformed (a repeated ``match_id``, a score other than 1/0.5/0, a pair
    of games that does not swap the seats...)."""
    games = check_results(results)
    pairs, unpaired = split_pairs(games)
    ratings = openskill_ratings(games, participants)
    rows = [_row(name, ratings[name], games, pairs, unpaired) for name in ratings]
    rows.sort(key=lambda row: (-row.ordinal, row.name))
    names = sorted({game.pairing for game in games})
    return Standings(
        rows=tuple(rows),
        pairings=tuple(_head_to_head(name, games, pairs, unpaired) for name in names),
        games=len(games),
    )


def _row(
    name: str,
    rating: PlackettLuceRating,
    games: Sequence[GameResult],
    pairs: Sequence[Pair],
    unpaired: Sequence[GameResult],
) -> Rating:
    record = tally(points(game, name) for game in games if name in (game.first, game.second))
    return Rating(
        name=name,
        games=record.games,
        wins=record.wins,
        draws=record.draws,
        losses=record.losses,
        points=record.points,
        mu=rating.mu,
        sigma=rating.sigma,
        ordinal=rating.ordinal(),
        elo=elo_estimate(*side_scores(pairs, unpaired, name)),
    )


def _head_to_head(
    pairing: str,
    games: Sequence[GameResult],
    pairs: Sequence[Pair],
    unpaired: Sequence[GameResult],
) -> HeadToHead:
    played = [game for game in games if game.pairing == pairing]
    first, second = sorted((played[0].first, played[0].second))
    record = tally(points(game, first) for game in played)
    pair_scores, game_scores = side_scores(
        [pair for pair in pairs if pair[0].pairing == pairing],
        [game for game in unpaired if game.pairing == pairing],
        first,
    )
    return HeadToHead(
        pairing=pairing,
        first=first,
        second=second,
        games=record.games,
        wins=record.wins,
        draws=record.draws,
        losses=record.losses,
        pentanomial=pentanomial(pair_scores),
        trinomial=trinomial(game_scores),
        elo=elo_estimate(pair_scores, game_scores),
    )
