"""The sim oracle every board game shares: intent dispatch and opponent-model beliefs."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections import Counter
from typing import Generic

from rafa_async import ProviderError
from rafa_async.llm import SimContext

from ._facts import Facts
from ._state import BoardState, S


class BoardOracle(ABC, Generic[S]):
    """Answers ``propose``, ``predict`` and ``evaluate`` intents in the prompts' format.

    Subclasses supply the truth (:meth:`_best_moves`, :meth:`_believed_best`,
    :meth:`_evaluate`); this class reads the intent, and models the opponent
    from memory: a reply seen in the same position is predicted again
    (sampled by how often it was seen) if the request heeds what memory says
    about that position (``memory_adherence``), else a best reply, persistently wrong
    for a ``wrong_belief_rate`` share of positions and wrong by chance at
    ``arithmetic_error_rate``.
    """

    scenario: str
    players: tuple[str, str]
    chatter: tuple[str, ...]
    """What a garbled answer says instead of answering."""

    @abstractmethod
    def _state_from_key(self, key: str) -> S: ...

    @abstractmethod
    def _memory_facts(self, memory: tuple[str, ...]) -> Facts: ...

    @abstractmethod
    def _best_moves(self, state: S) -> tuple[str, ...]:
        """The moves the truth says are best for the player to move."""

    @abstractmethod
    def _believed_best(
        self, ctx: SimContext, state: S, mover: str, facts: Facts
    ) -> tuple[str, ...]:
        """The legal moves ``mover`` believes best, in ``legal_moves`` order."""

    @abstractmethod
    def _evaluate(self, ctx: SimContext, state: S, facts: Facts) -> str: ...

    def respond(self, ctx: SimContext) -> str:
        kind = ctx.intent.kind
        state = self._state(ctx)
        facts = ctx.heeded(self._memory_facts(ctx.intent.memory))
        if kind == "propose":
            return self._propose(ctx, state, facts)
        if kind == "predict":
            return self._predict(ctx, state, facts)
        if kind == "evaluate":
            return self._evaluate(ctx, state, facts)
        raise ProviderError(f"sim: {self.scenario} does not answer {kind!r} intents", status=400)

    def garble(self, text: str, rng: random.Random) -> str:
        choice = rng.randrange(3)
        if choice == 0:
            return rng.choice(self.chatter) + "..."
        if choice == 1:
            return text[: max(1, len(text) // 3)]
        return "".join(ch for ch in text if not ch.isdigit())

    def _propose(self, ctx: SimContext, state: S, facts: Facts) -> str:
        legal = state.legal_moves()
        if not legal:
            return f"The game is over ({state.result}); there is no move to make."
        mover = self._player(ctx, state.to_play)
        pool = legal
        if ctx.chance(ctx.noise.proposal_quality):
            pool = self._believed_best(ctx, state, mover, facts)
        return f"Move: {pick(ctx, state, pool)}"

    def _predict(self, ctx: SimContext, state: S, facts: Facts) -> str:
        legal = state.legal_moves()
        if not legal:
            return f"The game is over ({state.result}); nobody moves."
        self._player(ctx, state.to_play)
        seen = facts.get(state.key)
        if seen:
            move = ctx.rng.choice(seen)
        elif ctx.chance(ctx.noise.arithmetic_error_rate):
            move = ctx.rng.choice(legal)
        else:
            pool = self._best_moves(state)
            others = [m for m in legal if m not in pool]
            if others and not ctx.prior_belief(f"{self.scenario} reply {state.key}", True):
                pool = (max(others, key=lambda m: ctx.preference(f"{state.key}|{m}")),)
            move = pick(ctx, state, pool)
        return f"Opponent reply: {move}"

    def _state(self, ctx: SimContext) -> S:
        try:
            return self._state_from_key(ctx.intent.state)
        except ValueError as error:
            raise ProviderError(f"sim: {error}", status=400) from None

    def _player(self, ctx: SimContext, mover: str | None) -> str:
        """The intent's player (``detail``): the mover for propose and predict (may be
        left empty), one of the players for evaluate."""
        player = ctx.intent.detail
        if mover is not None and player in ("", mover):
            return mover
        if mover is None and player in self.players:
            return player
        raise ProviderError(
            f"sim: {self.scenario} {ctx.intent.kind} intent names player {player!r}, "
            f"expected {mover or ' or '.join(self.players)} in {ctx.intent.state}",
            status=400,
        )


def pick(ctx: SimContext, state: BoardState, pool: tuple[str, ...]) -> str:
    """One of ``pool``, weighted by the sim's persistent per-move preferences."""
    weights = [ctx.preference(f"{state.key}|{m}") for m in pool]
    return ctx.rng.choices(pool, weights)[0]


def habit(seen: tuple[str, ...]) -> str:
    """The reply seen most often (the latest among equals)."""
    counts = Counter(seen)
    return max(reversed(seen), key=lambda m: counts[m])
