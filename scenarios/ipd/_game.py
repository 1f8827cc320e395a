"""The iterated prisoner's dilemma as an N-player, simultaneous-move :class:`~rafa_async.Game`."""

from __future__ import annotations

from collections.abc import Mapping

from rafa_async import NOOP, Step

from ._facts import MISSED, played_fact
from ._prompts import view
from ._state import CLASSIC, DEFECT, MOVES, IPDState, Payoffs, Rules, player_index


class PrisonersDilemma:
    """``rounds`` rounds of the prisoner's dilemma among ``n_players`` players
    ``p1``..``pN``, who all move at once every round.

    Every pair of players plays the pairwise game once a round (``payoffs``:
    T, R, P, S), and a player's reward for the round is the sum over its
    pairs.  ``to_move`` is every player until ``rounds`` rounds are played.

    A player who missed a real-time tick (:data:`~rafa_async.NOOP`)
    *defects*: recorded as ``D`` in the history, paid as ``D``, and seen as
    ``D`` by everyone -- not cooperating is what the others experience, and a
    two-letter history keeps keys, facts and strategies simple.  The feedback
    marks such a move ``(missed the tick)``, so it is not taken as evidence
    of a strategy, and the match log keeps the ``noop`` that was submitted.
    ``legal_actions`` lists ``D`` first for the same reason: a host's
    first-legal fallback for a late mover (turns clock) then means the same.

    ``step`` is pure and strict: the host validates actions, but a missing or
    extra player, a move other than C, D or NOOP, or a finished match raise
    ``ValueError`` -- nothing is silently accepted.  Each player's feedback
    holds the observed-move fact of every *other* player (``"round 3: p2
    played D after CD"``, see ``_facts``) and its own payoff.
    """

    name = "ipd"

    def __init__(
        self,
        n_players: int = 2,
        rounds: int = 20,
        payoffs: Payoffs | tuple[float, float, float, float] = CLASSIC,
    ) -> None:
        self.rules = Rules(n_players, rounds, Payoffs(*payoffs))
        self.players: tuple[str, ...] = self.rules.players

    def reset(self, seed: int) -> IPDState:
        """No round played (the game has no randomness; ``seed`` is accepted
        so every game resets alike)."""
        return IPDState.initial(self.rules)

    def to_move(self, state: IPDState) -> tuple[str, ...]:
        return () if state.done else self.players

    def legal_actions(self, state: IPDState, player: str) -> tuple[str, ...]:
        """``("D", "C")`` for every player until the match is over."""
        self._index(player)
        return () if state.done else MOVES

    def step(self, state: IPDState, actions: Mapping[str, str]) -> Step[IPDState]:
        self._check_state(state)
        if state.done:
            raise ValueError(f"ipd: the match is over ({state.rules.rounds} rounds played)")
        missing = [p for p in self.players if p not in actions]
        extra = sorted(p for p in actions if p not in self.players)
        if missing or extra:
            raise ValueError(
                f"ipd: every player moves every round; missing {', '.join(missing) or 'none'}, "
                f"unknown {', '.join(extra) or 'none'}"
            )
        for player in self.players:
            action = actions[player]
            if action not in MOVES and action != NOOP:
                raise ValueError(
                    f"ipd: illegal action {action!r} for {player} (legal: C, D; or {NOOP!r})"
                )
        missed = frozenset(p for p in self.players if actions[p] == NOOP)
        profile = tuple(DEFECT if p in missed else actions[p] for p in self.players)
        nxt = state.play(profile)
        gains = state.rules.round_payoffs(profile)
        feedback = {p: self._feedback(state, nxt, p, missed) for p in self.players}
        return Step(
            nxt,
            rewards=dict(zip(self.players, gains, strict=True)),
            feedback=feedback,
            done=nxt.done,
        )

    def observe(self, state: IPDState, player: str) -> str:
        self._check_state(state)
        self._index(player)
        return view(state, player)

    def render(self, state: IPDState) -> str:
        """The history key (``"CC/CD/DD"``, ``"-"`` before the first round):
        with the game's rules, enough to rebuild the state."""
        return state.history_key

    def scores(self, state: IPDState) -> dict[str, float]:
        """Cumulative payoffs mapped linearly onto [0, 1]: 1 for the top total,
        0 for the bottom one, 0.5 for everyone when all are equal.  With two
        players that is win 1, draw 0.5, loss 0; with more, a player's score
        says how close it came to the best.  A match stopped early (a host's
        turn limit) is scored on the totals so far."""
        lo, hi = min(state.totals), max(state.totals)
        if hi == lo:
            return dict.fromkeys(self.players, 0.5)
        return {p: (t - lo) / (hi - lo) for p, t in zip(self.players, state.totals, strict=True)}

    def _index(self, player: str) -> int:
        try:
            return player_index(player, self.rules.n_players)
        except ValueError as error:
            raise ValueError(f"ipd: {error}") from None

    def _check_state(self, state: IPDState) -> None:
        if state.rules != self.rules:
            raise ValueError(
                f"ipd: a state of another game ({state.rules.key}, not {self.rules.key})"
            )

    def _feedback(
        self, before: IPDState, after: IPDState, player: str, missed: frozenset[str]
    ) -> str:
        number = after.played
        profile = after.history[-1]
        me = self._index(player)
        parts = [
            played_fact(number, q, profile[i], before.previous) + (MISSED if q in missed else "")
            for i, q in enumerate(self.players)
            if i != me
        ]
        gain = after.rules.round_payoffs(profile)[me]
        how = "missed the tick (counted as D)" if player in missed else f"played {profile[me]}"
        parts.append(f"You ({player}) {how}: {gain:g} this round, {after.totals[me]:g} in total")
        if after.done:
            totals = ", ".join(
                f"{p} {t:g}" for p, t in zip(self.players, after.totals, strict=True)
            )
            parts.append(f"The match is over after {number} rounds; totals: {totals}")
        return ". ".join(parts) + "."
