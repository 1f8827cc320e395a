"""Pairings: which matches a tournament plays, with stable ids and seeds.

Round robin plays every pair of participants, a gauntlet every participant
against the anchor, Swiss a few rounds pairing participants of equal score
who have not met.  Each pairing plays ``games_per_pairing`` games of every
game, in colour-swapped pairs: games ``2k`` and ``2k+1`` share a seed (the
"opening") and swap the seats, so neither side keeps the first move.

A match's id (``tictactoe:rafa-b5:random:3``; Swiss adds its round,
``r2:...``) and seed depend only on the config, never on scheduling: a
resumed tournament, or one run on another executor, plays the same matches.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping, Sequence

import msgspec

from rafa_async.tournament._config import TournamentConfig
from rafa_async.tournament._games import pairing_name


class PlannedMatch(msgspec.Struct, frozen=True, kw_only=True):
    """One match to play: who sits where, in which game, with which seed."""

    match_id: str
    game: str
    first: str
    """The participant in the game's first seat."""
    second: str
    pairing: str
    """The two participants' names sorted and joined by `` vs ``."""
    index: int
    """Its number within the pairing and game (0 .. games_per_pairing - 1)."""
    pair: int | None
    """The colour-swapped pair it belongs to (``index // 2``), ``None`` for
    the odd game out."""
    seed: int
    round: int = 0
    """Swiss: the round (from 1); 0 for the other formats."""


def pair_seed(seed: int, game: str, pair: int | None, index: int) -> int:
    """The seed of a game pair: the same for both games of a pair, in every
    pairing (like an opening book, each pairing meets the same openings)."""
    tag = f"{seed}:{game}:pair:{pair}" if pair is not None else f"{seed}:{game}:odd:{index}"
    return int.from_bytes(hashlib.blake2b(tag.encode(), digest_size=4).digest(), "big") >> 1


def pairing_matches(
    config: TournamentConfig, a: str, b: str, *, round: int = 0
) -> list[PlannedMatch]:
    """Every game of the pairing of ``a`` and ``b``: for each game,
    ``games_per_pairing`` matches in colour-swapped pairs, ``a`` first in
    the even ones (``a`` is the lower name, so the order is canonical)."""
    a, b = sorted((a, b))
    n = config.games_per_pairing
    matches = []
    for game in config.games:
        for index in range(n):
            pair = index // 2 if index < n - n % 2 else None
            first, second = (a, b) if index % 2 == 0 else (b, a)
            prefix = f"r{round}:" if round else ""
            matches.append(
                PlannedMatch(
                    match_id=f"{prefix}{game}:{a}:{b}:{index}",
                    game=game,
                    first=first,
                    second=second,
                    pairing=pairing_name(a, b),
                    index=index,
                    pair=pair,
                    seed=pair_seed(config.seed, game, pair, index),
                    round=round,
                )
            )
    return matches


def round_robin(config: TournamentConfig) -> list[PlannedMatch]:
    """Every pair of participants, each pairing's games in colour-swapped pairs."""
    names = [p.name for p in config.participants]
    return [m for a, b in itertools.combinations(names, 2) for m in pairing_matches(config, a, b)]


def gauntlet(config: TournamentConfig) -> list[PlannedMatch]:
    """Every participant against the anchor, and no other pairing."""
    anchor = config.anchor
    if anchor is None:
        raise ValueError("a gauntlet needs an anchor")
    return [
        m
        for p in config.participants
        if p.name != anchor
        for m in pairing_matches(config, anchor, p.name)
    ]


def swiss_pairs(
    names: Sequence[str],
    points: Mapping[str, float],
    met: Iterable[tuple[str, str]],
    byes: Iterable[str] = (),
) -> tuple[list[tuple[str, str]], str | None]:
    """One Swiss round: pairs of participants close in points who have not
    met, and the one left out (a bye) if their number is odd.

    Participants are ranked by points (then by name, for a stable order) and
    paired top down, each with the nearest-ranked opponent it has not met;
    a depth-first search backs up when a choice would force a rematch later,
    so a rematch happens only when every pairing of the round needs one
    (then one with the fewest rematches).  The bye goes to the
    lowest-ranked participant the search can leave out who has not had one
    (``byes``: who has), else to the lowest-ranked it can leave out.
    """
    ranked = sorted(names, key=lambda n: (-points.get(n, 0.0), n))
    played = {frozenset(p) for p in met}
    had_bye = set(byes)
    for allowed_rematches in range(len(ranked) // 2 + 1):
        found = _pair_up(ranked, played, allowed_rematches, had_bye)
        if found is not None:
            return found
    raise AssertionError("unreachable: any pairing is allowed with enough rematches")


def _pair_up(
    ranked: list[str],
    played: set[frozenset[str]],
    rematches: int,
    had_bye: frozenset[str] | set[str] = frozenset(),
) -> tuple[list[tuple[str, str]], str | None] | None:
    if not ranked:
        return [], None
    if len(ranked) % 2 == 1:  # the bye: the lowest ranked first, a second bye last
        order = sorted(reversed(range(len(ranked))), key=lambda i: ranked[i] in had_bye)
        for i in order:
            rest = ranked[:i] + ranked[i + 1 :]
            found = _pair_up(rest, played, rematches, had_bye)
            if found is not None:
                return found[0], ranked[i]
        return None
    top, rest = ranked[0], ranked[1:]
    for j, other in enumerate(rest):
        cost = frozenset((top, other)) in played
        if cost > rematches:
            continue
        found = _pair_up(rest[:j] + rest[j + 1 :], played, rematches - cost)
        if found is not None:
            return [(top, other), *found[0]], None
    return None


def swiss_round(
    config: TournamentConfig,
    round: int,
    points: Mapping[str, float],
    met: Iterable[tuple[str, str]],
    byes: Iterable[str] = (),
) -> tuple[list[PlannedMatch], str | None]:
    """Round ``round``'s matches given the points so far, who has met whom
    and who has had a bye, and the participant with the bye (``None`` if none)."""
    names = [p.name for p in config.participants]
    pairs, bye = swiss_pairs(names, points, met, byes)
    matches = [m for a, b in pairs for m in pairing_matches(config, a, b, round=round)]
    return matches, bye


def planned_matches(config: TournamentConfig) -> list[PlannedMatch]:
    """Every match of a round robin or gauntlet (a Swiss tournament plans one
    round at a time: :func:`swiss_round`)."""
    if config.format == "round-robin":
        return round_robin(config)
    if config.format == "gauntlet":
        return gauntlet(config)
    raise ValueError("a Swiss tournament is planned one round at a time (swiss_round)")
