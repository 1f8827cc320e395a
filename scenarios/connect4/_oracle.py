"""The simulated LLM's knowledge of Connect Four: a negamax search, corrupted.

The "truth" here is the depth-limited search of ``_negamax`` (``depth``
plies, :data:`~._negamax.DEPTH` by default), not the solved game: a sim that
plays Connect Four perfectly would be neither realistic nor affordable.
What the sim believes, and how memory changes it:

* **Values** (``evaluate``, and which proposals look good): the search score,
  except for a persistent ``wrong_belief_rate`` share of positions, where
  the sim misjudges who is better (the score negated).  If memory says what
  the opponent played in a position (the game's feedback, ``"Y played 4 in
  <key>"``), the sim values that position by the reply it saw rather than by
  the search -- so it learns to exploit a predictable opponent.
* **Opponent replies** (``predict``): a reply seen in the same position is
  predicted again (sampled by how often it was seen: the posterior).  Never
  seen, the prior is a best move of the search, persistently wrong for a
  ``wrong_belief_rate`` share of positions and wrong by chance at
  ``arithmetic_error_rate`` (the noise model's "predicted outcome is wrong").
* **Proposals**: with probability ``proposal_quality`` among the moves it
  believes best, else among all legal moves, weighted by persistent
  per-move preferences.
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType

from rafa_async.llm import SimContext
from rafa_async.scenarios._noise import provisional_noise

from .._board import BoardOracle, Facts, habit
from ._facts import memory_facts
from ._negamax import DEPTH, best_moves, score, to_value
from ._state import PLAYERS, ConnectFourState, state_from_key

_CHATTER = (
    "Let me look at the board carefully. Several columns look promising here",
    "This is a tricky position; I need to check every diagonal",
    "Sure! Here is my analysis of the position",
)


class ConnectFourOracle(BoardOracle[ConnectFourState]):
    """Answers ``propose``, ``predict`` and ``evaluate`` intents in the prompts' format."""

    scenario = "connect4"
    players = PLAYERS
    chatter = _CHATTER
    # Provisional, not yet calibrated against the paper's baselines: game24's
    # calibrated proposal quality (0.1) makes board-game proposals near random.
    default_noise = provisional_noise(proposal_quality=0.6)

    def __init__(self, depth: int = DEPTH) -> None:
        if depth < 2:
            raise ValueError(f"the oracle searches at least 2 plies, got depth {depth}")
        self.depth = depth

    def _state_from_key(self, key: str) -> ConnectFourState:
        return state_from_key(key)

    def _memory_facts(self, memory: tuple[str, ...]) -> Facts:
        return _facts(memory)

    def _best_moves(self, state: ConnectFourState) -> tuple[str, ...]:
        return best_moves(state, self.depth)

    def _believed_best(
        self, ctx: SimContext, state: ConnectFourState, mover: str, facts: Facts
    ) -> tuple[str, ...]:
        """The moves ``mover`` believes best, in column order.

        Each child is judged one ply shallower than ``state``, so with true
        beliefs this is exactly :func:`best_moves`, which is much cheaper than
        scoring every child exactly: it is used unless memory or a wrong
        belief touches a child.
        """
        children = {m: state.play(m) for m in state.legal_moves()}
        if not any(self._touched(ctx, c, mover, facts) for c in children.values()):
            best = best_moves(state, self.depth)
            return tuple(m for m in children if m in best)
        believed = {
            m: self._believed(ctx, c, mover, facts, self.depth - 1) for m, c in children.items()
        }
        top = max(believed.values())
        return tuple(m for m in children if believed[m] == top)

    @staticmethod
    def _touched(ctx: SimContext, state: ConnectFourState, player: str, facts: Facts) -> bool:
        """Whether ``player``'s belief about ``state`` may differ from the search."""
        if state.done:
            return False
        if state.to_play != player and state.key in facts:
            return True
        return not ctx.prior_belief(f"connect4 value {state.key}", True)

    def _evaluate(self, ctx: SimContext, state: ConnectFourState, facts: Facts) -> str:
        player = self._player(ctx, None)
        if ctx.chance(ctx.noise.value_noise):
            verdict = round(ctx.rng.uniform(-1.0, 1.0), 2)
        else:
            verdict = to_value(self._believed(ctx, state, player, facts, self.depth))
        if verdict >= 1.0:
            reason = f"{player} has a forced win."
        elif verdict <= -1.0:
            reason = f"{player}'s opponent has a forced win."
        elif abs(verdict) < 0.1:
            reason = "The position is balanced."
        else:
            reason = f"{player} is {'better' if verdict > 0 else 'worse'} here."
        return f"{reason}\nValue: {verdict:.2f}"

    def _believed(
        self, ctx: SimContext, state: ConnectFourState, player: str, facts: Facts, depth: int
    ) -> int:
        """``player``'s belief about ``state``'s search score (positive: good for ``player``)."""
        seen = facts.get(state.key)
        if seen and not state.done and state.to_play != player and depth > 1:
            state, depth = state.play(habit(seen)), depth - 1
        truth = _score_for(state, player, depth)
        if state.done or ctx.prior_belief(f"connect4 value {state.key}", True):
            return truth
        for_red = -_score_for(state, "R", depth) or (
            10 if ctx.persistent_chance(f"connect4 sign {state.key}", 0.5) else -10
        )
        return for_red if player == "R" else -for_red


def _score_for(state: ConnectFourState, player: str, depth: int) -> int:
    points = score(state, depth)
    return points if player == state.to_play else -points


@lru_cache(maxsize=1 << 14)
def _facts(memory: tuple[str, ...]) -> Facts:
    return MappingProxyType(memory_facts(memory))
