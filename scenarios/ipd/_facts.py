"""The one phrasing of an observed move, shared by the game's feedback and the sim.

After each round every player is told, for each *other* player Q::

    round 3: p2 played D after CD

-- in round 3, Q (p2) played D when the previous round's profile was ``CD``
(p1 cooperated, p2 defected; seat order, p1 first).  Round 1 reads
``round 1: p2 played C at the start``.  That is exactly what a reactive
strategy (tit-for-tat, grim, ...) is a function of, so an agent that stores
its feedback in memory carries the evidence the simulated LLM reads back with
:func:`memory_facts` to infer Q's strategy: the in-context posterior RAFA
learns an opponent from.  A move the host made for a player who missed a
real-time tick is marked ``(missed the tick)``; it says nothing about a
strategy and is not read as evidence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ._state import Profile

_FACT_RE = re.compile(
    r"\bround (?P<round>[1-9]\d*): (?P<player>p[1-9]\d*) played (?P<move>[CD]) "
    r"(?:after (?P<previous>[CD]{2,})|at the start)\b(?P<missed> \(missed the tick\))?"
)
MISSED = " (missed the tick)"


@dataclass(frozen=True, slots=True)
class Fact:
    """``player`` played ``move`` in ``round`` after the profile ``previous``
    (None in round 1)."""

    round: int
    player: str
    move: str
    previous: Profile | None


def played_fact(number: int, player: str, move: str, previous: Profile | None) -> str:
    """``"round <number>: <player> played <move> after <profile>"`` (or ``at the start``)."""
    after = "at the start" if previous is None else f"after {''.join(previous)}"
    return f"round {number}: {player} played {move} {after}"


def memory_facts(lines: Iterable[str]) -> dict[str, tuple[Fact, ...]]:
    """The observed moves in ``lines``, by player, oldest first, repeats kept
    (they are evidence of a habit).

    Not evidence, and skipped: moves made for a player who missed a tick, a
    round-1 fact with a previous profile or a later one without, a profile
    too short to include the player itself.
    """
    facts: dict[str, list[Fact]] = {}
    for line in lines:
        for match in _FACT_RE.finditer(line):
            if match.group("missed"):
                continue
            round_ = int(match.group("round"))
            text = match.group("previous")
            previous = None if text is None else tuple(text)
            if (round_ == 1) != (previous is None):
                continue
            player = match.group("player")
            if previous is not None and int(player[1:]) > len(previous):
                continue
            facts.setdefault(player, []).append(Fact(round_, player, match.group("move"), previous))
    return {player: tuple(found) for player, found in facts.items()}
