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

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from rafa_async import ProviderError
from rafa_async.llm import SimContext
from rafa_async.scenarios._noise import provisional_noise

from .._board import BoardOracle, Facts, habit, pick
from ._facts import memory_facts
from ._learned import (
    VERDICTS,
    WINNER_DETAIL,
    Verdict,
    board_facts,
    move_name,
    parse_transition_detail,
    verdict_of,
    winner_facts,
)
from ._minimax import best_moves, score_for
from ._state import PLAYERS, TicTacToeState, state_from_key

_CHATTER = (
    "Let me look at the board carefully. Both players have several options here",
    "This is a tricky position; I need to consider all the lines",
    "Sure! Here is my analysis of the position",
)


class TicTacToeOracle(BoardOracle[TicTacToeState]):
    """Answers ``propose``, ``predict`` and ``evaluate`` intents in the prompts' format."""

    scenario = "tictactoe"
    players = PLAYERS
    chatter = _CHATTER
    # Provisional, not yet calibrated against the paper's baselines: game24's
    # calibrated proposal quality (0.1) makes board-game proposals near random.
    default_noise = provisional_noise(proposal_quality=0.6)

    def respond(self, ctx: SimContext) -> str:
        """The learned models' intents (see ``_learned``), else the board games' ones."""
        intent = ctx.intent
        if intent.kind == "predict" and (move := parse_transition_detail(intent.detail)):
            return _transition(ctx, self._state(ctx), *move)
        if intent.kind == "evaluate" and intent.detail == WINNER_DETAIL:
            return _winner(ctx, self._state(ctx))
        return super().respond(ctx)

    def _state_from_key(self, key: str) -> TicTacToeState:
        return state_from_key(key)

    def _memory_facts(self, memory: tuple[str, ...]) -> Facts:
        return _facts(memory)

    def _best_moves(self, state: TicTacToeState) -> tuple[str, ...]:
        return best_moves(state)

    def _believed_best(
        self, ctx: SimContext, state: TicTacToeState, mover: str, facts: Facts
    ) -> tuple[str, ...]:
        legal = state.legal_moves()
        believed = {m: _believed_score(ctx, state.play(m), mover, facts) for m in legal}
        top = max(believed.values())
        return tuple(m for m in legal if believed[m] == top)

    def _evaluate(self, ctx: SimContext, state: TicTacToeState, facts: Facts) -> str:
        player = self._player(ctx, None)
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


def _believed_score(ctx: SimContext, state: TicTacToeState, player: str, facts: Facts) -> int:
    """``player``'s belief about ``state``'s minimax score (positive: ``player`` wins)."""
    seen = facts.get(state.key)
    if seen and not state.done and state.to_play != player:
        state = state.play(habit(seen))
    truth = score_for(state, player)
    if state.done or ctx.prior_belief(f"tictactoe value {state.key}", True):
        return truth
    for_x = score_for(state, "X")
    wrong = 0 if for_x else (3 if ctx.persistent_chance(f"tictactoe sign {state.key}", 0.5) else -3)
    return wrong if player == "X" else -wrong


def _transition(ctx: SimContext, state: TicTacToeState, player: str, move: str) -> str:
    """The board after the move: an example memory gives for it if heeded, else
    the truth, except a persistent ``wrong_belief_rate`` share of (position,
    move) pairs and an ``arithmetic_error_rate`` chance per request, where the
    mark lands on another empty cell (a misread board)."""
    key = state.key
    seen = ctx.heeded(_board_facts(ctx.intent.memory)).get(move_name(key, player, move))
    if seen is not None:
        return f"Board: {seen}"
    if player != state.to_play or move not in state.legal_moves():
        raise ProviderError(
            f"sim: tictactoe cannot apply {player} {move} in {key} ({state.result})", status=400
        )
    slip = ctx.chance(ctx.noise.arithmetic_error_rate)
    wrong = not ctx.prior_belief(f"tictactoe board {key}|{move}", True)
    others = tuple(m for m in state.legal_moves() if m != move)
    if (slip or wrong) and others:
        move = pick(ctx, state, others)
    return f"Board: {state.play(move).key}"


def _winner(ctx: SimContext, state: TicTacToeState) -> str:
    """The verdict: an example memory gives for this board if heeded, else the
    truth, except a persistent ``wrong_belief_rate`` share of boards and an
    ``arithmetic_error_rate`` chance per request, where a line is missed (a
    won board read as going on) or seen where there is none (the last mover
    is believed to have won)."""
    key = state.key
    seen = ctx.heeded(_winner_facts(ctx.intent.memory)).get(key)
    if seen is not None:
        return f"Winner: {seen}"
    truth = verdict_of(state)
    slip = ctx.chance(ctx.noise.arithmetic_error_rate)
    wrong = not ctx.prior_belief(f"tictactoe winner {key}", True)
    verdict: Verdict = truth
    if (slip or wrong) and state.moves > 0:
        last = "O" if state.to_play == "X" else "X"
        verdict = "none" if truth != "none" else ("X" if last == "X" else "O")
    assert verdict in VERDICTS
    return f"Winner: {verdict}"


@lru_cache(maxsize=1 << 12)
def _board_facts(memory: tuple[str, ...]) -> Mapping[str, str]:
    return MappingProxyType(board_facts(memory))


@lru_cache(maxsize=1 << 12)
def _winner_facts(memory: tuple[str, ...]) -> Mapping[str, Verdict]:
    return MappingProxyType(winner_facts(memory))


@lru_cache(maxsize=1 << 14)
def _facts(memory: tuple[str, ...]) -> Facts:
    return MappingProxyType(memory_facts(memory))
