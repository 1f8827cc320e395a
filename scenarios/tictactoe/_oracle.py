"""The simulated LLM's knowledge of tic-tac-toe: exact minimax, corrupted.

What the sim believes, and how memory changes it:

* **Values** (``evaluate``, and which proposals look good): the minimax
  score, except for a persistent ``wrong_belief_rate`` share of positions
  (a won or lost position believed drawn, a drawn one believed won or lost).
  If memory says what the opponent played in a position (the game's
  feedback, ``"O played a1 in <key>"``), the sim values that position by the
  reply it saw rather than by best play -- so it learns to exploit a weak
  opponent.
* **Opponent replies** (``predict``): a reply seen in the same position is
  predicted again (sampled by how often it was seen: the posterior).  Never
  seen, the prior is a minimax-best reply, persistently wrong for a
  ``wrong_belief_rate`` share of positions and wrong by chance at
  ``arithmetic_error_rate`` (the noise model's "predicted outcome is wrong").
* **Proposals**: with probability ``proposal_quality`` among the moves it
  believes best, else among all legal moves, weighted by persistent
  per-move preferences.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from rafa_async import ProviderError
from rafa_async.llm import NoiseModel, SimContext

from ._board import PLAYERS, TicTacToeState, state_from_key
from ._facts import memory_facts
from ._minimax import best_moves, score_for

Facts = Mapping[str, tuple[str, ...]]

_CHATTER = (
    "Let me look at the board carefully. Both players have several options here",
    "This is a tricky position; I need to consider all the lines",
    "Sure! Here is my analysis of the position",
)


class TicTacToeOracle:
    """Answers ``propose``, ``predict`` and ``evaluate`` intents in the prompts' format."""

    scenario = "tictactoe"
    # Provisional, not yet calibrated against the paper's baselines: game24's
    # calibrated proposal quality (0.1) makes board-game proposals near random.
    default_noise = NoiseModel(proposal_quality=0.6)

    def respond(self, ctx: SimContext) -> str:
        kind = ctx.intent.kind
        state = _state(ctx)
        facts = _facts(ctx.intent.memory)
        if kind == "propose":
            return self._propose(ctx, state, facts)
        if kind == "predict":
            return self._predict(ctx, state, facts)
        if kind == "evaluate":
            return self._evaluate(ctx, state, facts)
        raise ProviderError(f"sim: tictactoe does not answer {kind!r} intents", status=400)

    def garble(self, text: str, rng: random.Random) -> str:
        choice = rng.randrange(3)
        if choice == 0:
            return rng.choice(_CHATTER) + "..."
        if choice == 1:
            return text[: max(1, len(text) // 3)]
        return "".join(ch for ch in text if not ch.isdigit())

    # -- intents -------------------------------------------------------------------

    def _propose(self, ctx: SimContext, state: TicTacToeState, facts: Facts) -> str:
        legal = state.legal_moves()
        if not legal:
            return f"The game is over ({state.result}); there is no move to make."
        mover = _player(ctx, state.to_play)
        pool = legal
        if ctx.chance(ctx.noise.proposal_quality):
            believed = {m: _believed_score(ctx, state.play(m), mover, facts) for m in legal}
            top = max(believed.values())
            pool = tuple(m for m in legal if believed[m] == top)
        return f"Move: {_pick(ctx, state, pool)}"

    def _predict(self, ctx: SimContext, state: TicTacToeState, facts: Facts) -> str:
        legal = state.legal_moves()
        if not legal:
            return f"The game is over ({state.result}); nobody moves."
        _player(ctx, state.to_play)
        seen = facts.get(state.key)
        if seen:
            move = ctx.rng.choice(seen)
        elif ctx.chance(ctx.noise.arithmetic_error_rate):
            move = ctx.rng.choice(legal)
        else:
            pool = best_moves(state)
            others = [m for m in legal if m not in pool]
            if others and not ctx.prior_belief(f"tictactoe reply {state.key}", True):
                pool = (max(others, key=lambda m: ctx.preference(f"{state.key}|{m}")),)
            move = _pick(ctx, state, pool)
        return f"Opponent reply: {move}"

    def _evaluate(self, ctx: SimContext, state: TicTacToeState, facts: Facts) -> str:
        player = _player(ctx, None)
        if ctx.chance(ctx.noise.value_noise):
            verdict = ctx.rng.choice((-1, 0, 1))
        else:
            score = _believed_score(ctx, state, player, facts)
            verdict = (score > 0) - (score < 0)
        reasons = {
            1: f"{player} can force a win.",
            0: "With good play neither side wins.",
            -1: f"{player}'s opponent can force a win.",
        }
        return f"{reasons[verdict]}\nValue: {verdict}"


def _state(ctx: SimContext) -> TicTacToeState:
    try:
        return state_from_key(ctx.intent.state)
    except ValueError as error:
        raise ProviderError(f"sim: {error}", status=400) from None


def _player(ctx: SimContext, mover: str | None) -> str:
    """The intent's player (``detail``): the mover for propose and predict (may be
    left empty), X or O for evaluate."""
    player = ctx.intent.detail
    if mover is not None and player in ("", mover):
        return mover
    if mover is None and player in PLAYERS:
        return player
    raise ProviderError(
        f"sim: tictactoe {ctx.intent.kind} intent names player {player!r}, "
        f"expected {mover or 'X or O'} in {ctx.intent.state}",
        status=400,
    )


def _pick(ctx: SimContext, state: TicTacToeState, pool: tuple[str, ...]) -> str:
    weights = [ctx.preference(f"{state.key}|{m}") for m in pool]
    return ctx.rng.choices(pool, weights)[0]


def _believed_score(ctx: SimContext, state: TicTacToeState, player: str, facts: Facts) -> int:
    """``player``'s belief about ``state``'s minimax score (positive: ``player`` wins)."""
    seen = facts.get(state.key)
    if seen and not state.done and state.to_play != player:
        state = state.play(_habit(seen))
    truth = score_for(state, player)
    if state.done or ctx.prior_belief(f"tictactoe value {state.key}", True):
        return truth
    for_x = score_for(state, "X")
    wrong = 0 if for_x else (3 if ctx.persistent_chance(f"tictactoe sign {state.key}", 0.5) else -3)
    return wrong if player == "X" else -wrong


def _habit(seen: tuple[str, ...]) -> str:
    """The reply seen most often (the latest among equals)."""
    counts = Counter(seen)
    return max(reversed(seen), key=lambda m: counts[m])


@lru_cache(maxsize=1 << 14)
def _facts(memory: tuple[str, ...]) -> Facts:
    return MappingProxyType(memory_facts(memory))
