"""Iterated prisoner's dilemma states: the rules, a frozen history, and its keys.

Notation (what actions, prompts, keys and memory use): a move is ``C``
(cooperate) or ``D`` (defect); players are ``p1``..``pN``; a round's
*profile* is the moves of all players in seat order, ``p1`` first, so
``"CD"`` means p1 cooperated and p2 defected.  A history key joins the
profiles with ``/`` (``"CC/CD/DD"``); ``"-"`` is the empty history.

A state's *key* adds the rules, so the key alone rebuilds the state
(:func:`state_from_key`) -- the simulated LLM relies on that::

    ipd n=2 rounds=20 payoffs=5,3,1,0 history=CC/CD

A :class:`PendingRound` (one player's move committed, the others' unknown)
is how a planner looks at a simultaneous round; its key appends
``pending=p1:C`` (:func:`node_from_key`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

COOPERATE = "C"
DEFECT = "D"
MOVES: tuple[str, ...] = (DEFECT, COOPERATE)
"""The legal moves, D first: a host's first-legal fallback then treats a late
mover like a missed real-time tick (see :class:`~.PrisonersDilemma`)."""

Profile = tuple[str, ...]
"""One round: every player's move, in seat order."""


class Payoffs(NamedTuple):
    """One pairwise game: Temptation (D against C), Reward (both C),
    Punishment (both D), Sucker (C against D)."""

    T: float = 5.0
    R: float = 3.0
    P: float = 1.0
    S: float = 0.0

    def pair(self, mine: str, theirs: str) -> float:
        """My payoff against one other player."""
        if mine == COOPERATE:
            return self.R if theirs == COOPERATE else self.S
        return self.T if theirs == COOPERATE else self.P


CLASSIC = Payoffs()
"""T=5, R=3, P=1, S=0 (Axelrod's tournaments)."""


def player_name(index: int) -> str:
    return f"p{index + 1}"


def player_index(player: str, n_players: int) -> int:
    """``"p2"`` -> 1; ``ValueError`` naming the seats for anything else."""
    match = re.fullmatch(r"p([1-9]\d*)", player)
    if match is None or int(match.group(1)) > n_players:
        raise ValueError(f"unknown player {player!r} (players: p1..p{n_players})")
    return int(match.group(1)) - 1


@dataclass(frozen=True, slots=True)
class Rules:
    """What a match of the iterated game is: seats, length, pairwise payoffs.

    The dilemma needs ``T > R > P > S`` (defecting pays in one round, mutual
    defection is worse than mutual cooperation) and ``2R > T + S`` (taking
    turns exploiting each other does not beat cooperating); anything else is
    a different game and is refused.
    """

    n_players: int = 2
    rounds: int = 20
    payoffs: Payoffs = CLASSIC

    def __post_init__(self) -> None:
        if self.n_players < 2:
            raise ValueError(f"the prisoner's dilemma needs >= 2 players, got {self.n_players}")
        if self.rounds < 1:
            raise ValueError(f"a match needs >= 1 round, got {self.rounds}")
        t, r, p, s = self.payoffs
        if not t > r > p > s:
            raise ValueError(f"payoffs must satisfy T > R > P > S, got T={t} R={r} P={p} S={s}")
        if not 2 * r > t + s:
            raise ValueError(f"payoffs must satisfy 2R > T + S, got T={t} R={r} S={s}")

    @property
    def players(self) -> tuple[str, ...]:
        return tuple(player_name(i) for i in range(self.n_players))

    @property
    def key(self) -> str:
        t, r, p, s = self.payoffs
        return f"ipd n={self.n_players} rounds={self.rounds} payoffs={t:g},{r:g},{p:g},{s:g}"

    def round_payoffs(self, profile: Profile) -> tuple[float, ...]:
        """Each player's payoff for one round: the pairwise game against every
        other player, summed."""
        others_c = profile.count(COOPERATE)
        pay = self.payoffs
        out = []
        for move in profile:
            k = others_c - (move == COOPERATE)
            out.append(
                pay.pair(move, COOPERATE) * k + pay.pair(move, DEFECT) * (len(profile) - 1 - k)
            )
        return tuple(out)

    def payoff_range(self) -> tuple[float, float]:
        """The lowest and highest total a player can end a match with."""
        games = (self.n_players - 1) * self.rounds
        return self.payoffs.S * games, self.payoffs.T * games

    def normalised(self, total: float) -> float:
        """``total`` mapped linearly from :meth:`payoff_range` onto [-1, 1]: the
        value scale the critic and ``outcome`` share."""
        lo, hi = self.payoff_range()
        return 2.0 * (total - lo) / (hi - lo) - 1.0


@dataclass(frozen=True, slots=True)
class IPDState:
    """A match so far: the rules, the rounds played (profiles, oldest first)
    and each player's cumulative payoff (``totals``, by seat).

    Build states with :meth:`initial`, :meth:`play` or :func:`state_from_key`,
    which keep the fields consistent; the constructor does not check.
    """

    rules: Rules
    history: tuple[Profile, ...]
    totals: tuple[float, ...]

    @classmethod
    def initial(cls, rules: Rules) -> IPDState:
        return cls(rules, (), (0.0,) * rules.n_players)

    @property
    def played(self) -> int:
        return len(self.history)

    @property
    def done(self) -> bool:
        return self.played >= self.rules.rounds

    @property
    def previous(self) -> Profile | None:
        """The last round's profile (None before the first round)."""
        return self.history[-1] if self.history else None

    @property
    def history_key(self) -> str:
        return "/".join("".join(p) for p in self.history) or "-"

    @property
    def key(self) -> str:
        return f"{self.rules.key} history={self.history_key}"

    def play(self, profile: Profile) -> IPDState:
        """The state after one round.  ``ValueError`` saying why for a finished
        match, a profile of the wrong length or a move other than C or D."""
        n = self.rules.n_players
        if self.done:
            raise ValueError(f"the match is over ({self.rules.rounds} rounds played)")
        if len(profile) != n:
            raise ValueError(f"a round needs {n} moves (one per player), got {len(profile)}")
        bad = [m for m in profile if m not in MOVES]
        if bad:
            raise ValueError(f"moves are C or D, got {bad[0]!r}")
        gains = self.rules.round_payoffs(profile)
        totals = tuple(t + g for t, g in zip(self.totals, gains, strict=True))
        return IPDState(self.rules, (*self.history, tuple(profile)), totals)


@dataclass(frozen=True, slots=True)
class PendingRound:
    """A round in which ``player`` has committed to ``action`` while the
    others' moves are not known yet: the state a planner predicts from."""

    state: IPDState
    player: str
    action: str

    @property
    def key(self) -> str:
        return f"{self.state.key} pending={self.player}:{self.action}"


_KEY_RE = re.compile(
    r"ipd n=(?P<n>\d+) rounds=(?P<rounds>\d+) payoffs=(?P<payoffs>[-+0-9.e,]+)"
    r" history=(?P<history>-|[CD]+(?:/[CD]+)*)(?: pending=(?P<player>p\d+):(?P<action>[CD]))?"
)
_KEY_SHAPE = "'ipd n=2 rounds=20 payoffs=5,3,1,0 history=CC/CD' (optionally ' pending=p1:C')"


def node_from_key(key: str) -> IPDState | PendingRound:
    """The state (or pending round) a key names; ``ValueError`` naming the
    problem for anything else (bad shape, impossible history, bad rules)."""
    match = _KEY_RE.fullmatch(key.strip())
    if match is None:
        raise ValueError(f"not an ipd key: {key!r} (expected {_KEY_SHAPE})")
    try:
        numbers = [float(x) for x in match.group("payoffs").split(",")]
    except ValueError:
        numbers = []
    if len(numbers) != 4:
        raise ValueError(f"not an ipd key: {key!r} (payoffs are four numbers T,R,P,S)")
    payoffs = Payoffs(*numbers)
    rules = Rules(int(match.group("n")), int(match.group("rounds")), payoffs)
    state = IPDState.initial(rules)
    history = match.group("history")
    for profile in () if history == "-" else history.split("/"):
        try:
            state = state.play(tuple(profile))
        except ValueError as error:
            raise ValueError(f"not an ipd key: {key!r} ({error})") from None
    if match.group("player") is None:
        return state
    player = match.group("player")
    player_index(player, rules.n_players)
    if state.done:
        raise ValueError(f"not an ipd key: {key!r} (a pending move in a finished match)")
    return PendingRound(state, player, match.group("action"))


def state_from_key(key: str) -> IPDState:
    """The state a key names (see the module docstring); ``ValueError`` for
    anything else, including the key of a pending round."""
    node = node_from_key(key)
    if isinstance(node, PendingRound):
        raise ValueError(f"{key!r} names a pending round, not a state")
    return node
