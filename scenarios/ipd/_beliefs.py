"""What a player can believe about its opponents, and what those beliefs are worth.

An opponent is believed to play one of a few reactive strategies
(:data:`HYPOTHESES`): its move a function of the previous round's profile,
which is exactly what the memory facts record.  :func:`infer` picks the
hypothesis that explains the most observed facts about that opponent (ties
go to the prior guess, then to :data:`HYPOTHESES` order): with no facts the
belief is the prior, and one fact can overturn it (an opponent that defects
at the start is no tit-for-tat).  A random opponent is believed to be
whichever hypothesis its moves happen to fit best; mixed strategies are not
modelled.

Given a belief per opponent, the rest of the match is deterministic except
for the player's own moves, so :func:`move_values` solves it exactly by
backward induction over the profiles reachable from the current one (few,
because the hypotheses react to little).  Iterative, not recursive, so long
matches do not hit the recursion limit; memoised, because every proposal
and evaluation of a planning step asks again.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from ._facts import Fact
from ._policies import AlwaysCooperate, AlwaysDefect, Grim, Reactive, TitForTat
from ._state import MOVES, Profile, Rules

HYPOTHESES: tuple[type[Reactive], ...] = (TitForTat, Grim, AlwaysDefect, AlwaysCooperate)
"""Strategies an opponent may be believed to play, in tie-break order."""

BY_NAME: dict[str, type[Reactive]] = {h.name: h for h in HYPOTHESES}
PRIOR = TitForTat.name
"""The belief about an opponent never observed: the textbook IPD player."""

Beliefs = tuple[str | None, ...]
"""A hypothesis name per seat; None at the believing player's own seat."""


def explained(hypothesis: str, facts: Sequence[Fact]) -> int:
    """How many ``facts`` the hypothesis predicts correctly."""
    react = BY_NAME[hypothesis].react
    return sum(react(f.previous, int(f.player[1:]) - 1) == f.move for f in facts)


def infer(facts: Sequence[Fact], prior: str = PRIOR) -> str:
    """The hypothesis that explains the most of ``facts`` (see the module docstring)."""
    if not facts:
        return prior
    fit = {name: explained(name, facts) for name in BY_NAME}
    best = max(fit.values())
    tied = [name for name in BY_NAME if fit[name] == best]
    return prior if prior in tied else tied[0]


def respond(beliefs: Beliefs, previous: Profile | None, me: int, mine: str) -> Profile:
    """The next profile: ``mine`` at ``me``, every other seat as believed."""
    return tuple(
        mine if i == me else BY_NAME[name or PRIOR].react(previous, i)
        for i, name in enumerate(beliefs)
    )


@lru_cache(maxsize=1 << 14)
def move_values(
    rules: Rules, me: int, beliefs: Beliefs, played: int, previous: Profile | None
) -> dict[str, float]:
    """The payoff ``me`` collects from the next round to the end, by its move
    in the next round, playing its best afterwards against ``beliefs``.

    Empty once the match is over.  Callers must not mutate the result (it is
    memoised).
    """
    remaining = rules.rounds - played
    if remaining <= 0:
        return {}
    layers: list[set[Profile | None]] = [{previous}]
    for _ in range(remaining - 1):
        layers.append({respond(beliefs, p, me, a) for p in layers[-1] for a in MOVES})
    best_after: dict[Profile | None, float] = {}
    for layer in reversed(layers[1:]):
        best_after = {
            prev: max(_gain(rules, beliefs, prev, me, a, best_after) for a in MOVES)
            for prev in layer
        }
    return {a: _gain(rules, beliefs, previous, me, a, best_after) for a in MOVES}


def _gain(
    rules: Rules,
    beliefs: Beliefs,
    previous: Profile | None,
    me: int,
    mine: str,
    best_after: dict[Profile | None, float],
) -> float:
    profile = respond(beliefs, previous, me, mine)
    return rules.round_payoffs(profile)[me] + best_after.get(profile, 0.0)
