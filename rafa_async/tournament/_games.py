"""The finished games, checked and grouped into colour-swapped pairs.

Ratings and SPRT read the same games the same way: every game once, its
score one of 1, 0.5, 0, and the two games of a pair (same pairing, game and
``pair`` index) with the seats swapped.  A pair whose partner has not
finished (or failed) counts as an unpaired game until it has, so nothing
finished is left out and nothing is counted twice.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import TypeAlias

from rafa_async._errors import ConfigError
from rafa_async.tournament._results import GameResult

SCORES = (0.0, 0.5, 1.0)
"""The scores a game can end with, for its first seat."""

Pair: TypeAlias = tuple[GameResult, GameResult]


def pairing_name(a: str, b: str) -> str:
    """A pairing's name: the two participants' names sorted, joined by `` vs ``."""
    return " vs ".join(sorted((a, b)))


def points(game: GameResult, name: str) -> float:
    """What ``name`` (one of the game's two participants) scored in it."""
    return game.score if game.first == name else 1.0 - game.score


def check_results(results: Iterable[GameResult]) -> tuple[GameResult, ...]:
    """The games sorted by ``match_id`` (a fixed order, whatever the input's),
    each checked; :class:`ConfigError` naming the match if one is not a
    game the ratings can read, or if a ``match_id`` repeats."""
    games = tuple(sorted(results, key=lambda game: game.match_id))
    seen: set[str] = set()
    for game in games:
        if game.match_id in seen:
            raise ConfigError(f"match_id {game.match_id!r} appears more than once")
        seen.add(game.match_id)
        if game.first == game.second:
            raise ConfigError(f"match {game.match_id!r}: {game.first!r} plays itself")
        if game.score not in SCORES:
            raise ConfigError(
                f"match {game.match_id!r}: score must be 1, 0.5 or 0, got {game.score!r}"
            )
        expected = pairing_name(game.first, game.second)
        if game.pairing != expected:
            raise ConfigError(
                f"match {game.match_id!r}: pairing must be {expected!r}, got {game.pairing!r}"
            )
    return games


def split_pairs(games: Iterable[GameResult]) -> tuple[list[Pair], list[GameResult]]:
    """The colour-swapped pairs (both games finished) and the unpaired games,
    in ``match_id`` order of the input; :class:`ConfigError` if a pair has
    more than two games or its two games do not swap the seats."""
    by_pair: defaultdict[tuple[str, str, int], list[GameResult]] = defaultdict(list)
    unpaired: list[GameResult] = []
    for game in games:
        if game.pair is None:
            unpaired.append(game)
        else:
            by_pair[game.pairing, game.game, game.pair].append(game)
    pairs: list[Pair] = []
    for (pairing, game_name, index), members in by_pair.items():
        where = f"pair {index} of {pairing} in {game_name}"
        ids = ", ".join(repr(game.match_id) for game in members)
        if len(members) > 2:
            raise ConfigError(f"{where} has {len(members)} games ({ids}), not two")
        if len(members) == 1:
            unpaired.append(members[0])
        elif members[0].first != members[1].second:
            raise ConfigError(f"{where}: its games ({ids}) do not swap the seats")
        else:
            pairs.append((members[0], members[1]))
    unpaired.sort(key=lambda game: game.match_id)
    return pairs, unpaired


def pair_points(pair: Pair, name: str) -> float:
    """What ``name`` scored over both games of a pair: 0, 0.5, 1, 1.5 or 2."""
    return points(pair[0], name) + points(pair[1], name)


def side_scores(
    pairs: Iterable[Pair], unpaired: Iterable[GameResult], name: str
) -> tuple[list[float], list[float]]:
    """``name``'s points in each pair it played (0 to 2) and in each unpaired
    game it played (0 to 1): the pentanomial and trinomial samples."""
    return (
        [pair_points(pair, name) for pair in pairs if name in (pair[0].first, pair[0].second)],
        [points(game, name) for game in unpaired if name in (game.first, game.second)],
    )


def pentanomial(pair_scores: Sequence[float]) -> tuple[int, int, int, int, int]:
    """How many pairs scored 0, 0.5, 1, 1.5 and 2 points."""
    counts = Counter(round(2 * score) for score in pair_scores)
    return counts[0], counts[1], counts[2], counts[3], counts[4]


def trinomial(game_scores: Sequence[float]) -> tuple[int, int, int]:
    """How many games scored 0, 0.5 and 1 (losses, draws, wins)."""
    counts = Counter(round(2 * score) for score in game_scores)
    return counts[0], counts[1], counts[2]
