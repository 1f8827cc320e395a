"""SPRT: stop a pairing as soon as its games decide between two Elo bounds.

H0: ``player`` is at most ``elo0`` stronger than ``opponent``; H1: at least
``elo1``.  Elo is logistic (a difference ``d`` expects the score
``1 / (1 + 10^(-d/400))``).  The test is fishtest's generalised SPRT: the
log-likelihood ratio of the results under the two maximum-likelihood
distributions whose expected score is each hypothesis' score, over the
*pentanomial* outcomes (0, 0.5, 1, 1.5, 2 points) of the colour-swapped
pairs and the *trinomial* ones (loss, draw, win) of the games with no
partner; the two log-likelihood ratios add, as the samples are
independent.  Like fishtest, an outcome never seen counts as 0.001 of a
sample, so the maximum-likelihood distribution exists from the first game.

Wald's bounds: the test accepts H1 once the LLR reaches
``log((1 - beta) / alpha)``, H0 once it falls to ``log(beta / (1 - alpha))``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Literal

import msgspec

from rafa_async._errors import ConfigError
from rafa_async.tournament._elo import expected_score
from rafa_async.tournament._games import (
    check_results,
    pentanomial,
    side_scores,
    split_pairs,
    trinomial,
)
from rafa_async.tournament._results import GameResult

UNSEEN = 1e-3
"""The count an outcome never seen gets (fishtest's regularisation)."""

Decision = Literal["H0", "H1"]


class SprtConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An SPRT between two logistic Elo differences (``[sprt]`` of a
    tournament): H0 ``elo <= elo0``, H1 ``elo >= elo1``; ``alpha`` is the
    chance of accepting H1 when H0 holds, ``beta`` of accepting H0 when H1
    holds.  :class:`~rafa_async.ConfigError` naming the field unless
    ``elo0 < elo1`` (both finite) and ``0 < alpha, beta < 0.5``."""

    elo0: float
    elo1: float
    alpha: float = 0.05
    beta: float = 0.05

    def __post_init__(self) -> None:
        for name in ("elo0", "elo1"):
            value = getattr(self, name)
            if not math.isfinite(value):
                raise ConfigError(
                    f"{name} must be a finite Elo difference, got {value}", fields=(name,)
                )
        if not self.elo0 < self.elo1:
            raise ConfigError(
                f"elo0 must be < elo1, got elo0 = {self.elo0} and elo1 = {self.elo1}",
                fields=("elo0", "elo1"),
            )
        for name in ("alpha", "beta"):
            value = getattr(self, name)
            if not 0.0 < value < 0.5:
                raise ConfigError(f"{name} must be > 0 and < 0.5, got {value}", fields=(name,))

    @property
    def lower(self) -> float:
        """The LLR at or below which the test accepts H0."""
        return math.log(self.beta / (1.0 - self.alpha))

    @property
    def upper(self) -> float:
        """The LLR at or above which the test accepts H1."""
        return math.log((1.0 - self.beta) / self.alpha)


class SprtResult(msgspec.Struct, frozen=True, kw_only=True):
    """Where one pairing's SPRT stands.  ``decision``: ``"H1"`` (``player``
    is at least ``elo1`` stronger), ``"H0"`` (at most ``elo0``), or ``None``
    while ``lower < llr < upper``: play on."""

    player: str
    opponent: str
    llr: float
    lower: float
    upper: float
    decision: Decision | None
    games: int
    pairs: int
    unpaired: int


def sprt(
    results: Iterable[GameResult], config: SprtConfig, *, player: str, opponent: str
) -> SprtResult:
    """The SPRT of ``player`` against ``opponent`` over their games among
    ``results`` (the other games are not theirs to count);
    :class:`~rafa_async.ConfigError` if a game is malformed."""
    if player == opponent:
        raise ConfigError(f"an SPRT needs two participants, got {player!r} twice")
    both = {player, opponent}
    games = [game for game in check_results(results) if {game.first, game.second} == both]
    pair_scores, game_scores = side_scores(*split_pairs(games), player)
    s0, s1 = expected_score(config.elo0), expected_score(config.elo1)
    llr = 0.0
    if pair_scores:
        llr += log_likelihood_ratio(pentanomial(pair_scores), s0, s1)
    if game_scores:
        llr += log_likelihood_ratio(trinomial(game_scores), s0, s1)
    decision: Decision | None = None
    if llr >= config.upper:
        decision = "H1"
    elif llr <= config.lower:
        decision = "H0"
    return SprtResult(
        player=player,
        opponent=opponent,
        llr=llr,
        lower=config.lower,
        upper=config.upper,
        decision=decision,
        games=len(games),
        pairs=len(pair_scores),
        unpaired=len(game_scores),
    )


def log_likelihood_ratio(counts: Sequence[int], s0: float, s1: float) -> float:
    """The generalised LLR of H1 (expected score ``s1``) over H0 (``s0``) for
    ``counts[k]`` samples scoring ``k / (len(counts) - 1)`` (a fraction of
    the points: 0, 0.5, 1 for games; 0, 0.25 ... 1 for pairs); ``s0`` and
    ``s1`` strictly between 0 and 1."""
    last = len(counts) - 1
    outcomes = [k / last for k in range(len(counts))]
    regular = [count or UNSEEN for count in counts]
    q0 = _constrained_mle(outcomes, regular, s0)
    q1 = _constrained_mle(outcomes, regular, s1)
    return math.fsum(n * math.log(b / a) for n, a, b in zip(regular, q0, q1, strict=True))


def _constrained_mle(
    outcomes: Sequence[float], counts: Sequence[float], score: float
) -> list[float]:
    """The maximum-likelihood distribution over ``outcomes`` (0 to 1, both
    ends included) of samples ``counts`` (all > 0) whose mean is ``score``.

    By Lagrange it is ``p_i / (1 + theta (a_i - score))`` for the empirical
    ``p_i``, with ``theta`` the root of ``sum p_i (a_i - score) / (1 +
    theta (a_i - score))``, which decreases from +inf to -inf on the
    ``theta`` that keep every probability positive: bisection finds it.
    """
    total = math.fsum(counts)
    empirical = [count / total for count in counts]
    gaps = [a - score for a in outcomes]

    def slope(theta: float) -> float:
        return math.fsum(p * g / (1.0 + theta * g) for p, g in zip(empirical, gaps, strict=True))

    low, high = -1.0 / max(gaps), -1.0 / min(gaps)
    for _ in range(200):
        middle = (low + high) / 2.0
        if middle in (low, high):
            break
        if slope(middle) > 0.0:
            low = middle
        else:
            high = middle
    theta = (low + high) / 2.0
    return [p / (1.0 + theta * g) for p, g in zip(empirical, gaps, strict=True)]
