"""The simulated LLM's knowledge of Nim: the exact nim-sum, corrupted.

What the sim believes, and how memory changes it:

* **Values** (``evaluate``, and which proposals look good): the nim-sum's
  verdict, except for a persistent ``wrong_belief_rate`` share of positions
  believed won when lost and lost when won.  If memory says what the
  opponent played in a position (the game's feedback, ``"B played 3:2 in
  <key>"``), the sim values that position by the reply it saw rather than by
  best play -- so it learns to exploit a weak opponent.
* **Opponent replies** (``predict``) and **proposals**: as every board game's
  (see :class:`~rafa_async.scenarios._board.BoardOracle`).
"""

from __future__ import annotations

from functools import lru_cache
from types import MappingProxyType

from rafa_async.llm import SimContext
from rafa_async.scenarios._noise import provisional_noise

from .._board import BoardOracle, Facts, habit
from ._facts import memory_facts
from ._nimsum import best_moves, value_for
from ._state import PLAYERS, NimState, state_from_key

_CHATTER = (
    "Let me count the objects in each heap carefully",
    "This is a tricky position; I need to work out the nim-sum first",
    "Sure! Here is my analysis of the heaps",
)


class NimOracle(BoardOracle[NimState]):
    """Answers ``propose``, ``predict`` and ``evaluate`` intents in the prompts' format."""

    scenario = "nim"
    players = PLAYERS
    chatter = _CHATTER
    # Provisional, as for the other board games: not calibrated.
    default_noise = provisional_noise(proposal_quality=0.6)

    def _state_from_key(self, key: str) -> NimState:
        return state_from_key(key)

    def _memory_facts(self, memory: tuple[str, ...]) -> Facts:
        return _facts(memory)

    def _best_moves(self, state: NimState) -> tuple[str, ...]:
        return best_moves(state)

    def _believed_best(
        self, ctx: SimContext, state: NimState, mover: str, facts: Facts
    ) -> tuple[str, ...]:
        legal = state.legal_moves()
        believed = {m: _believed_value(ctx, state.play(m), mover, facts) for m in legal}
        top = max(believed.values())
        return tuple(m for m in legal if believed[m] == top)

    def _evaluate(self, ctx: SimContext, state: NimState, facts: Facts) -> str:
        player = self._player(ctx, None)
        if ctx.chance(ctx.noise.value_noise):
            verdict = ctx.rng.choice((-1, 1))
        else:
            verdict = _believed_value(ctx, state, player, facts)
        winner = player if verdict > 0 else f"{player}'s opponent"
        return f"{winner} can force a win.\nValue: {verdict}"


def _believed_value(ctx: SimContext, state: NimState, player: str, facts: Facts) -> int:
    """``player``'s belief about who wins ``state``: 1 (``player``) or -1."""
    seen = facts.get(state.key)
    if seen and not state.done and state.to_play != player:
        state = state.play(habit(seen))
    truth = round(value_for(state, player))
    if state.done or ctx.prior_belief(f"nim value {state.key}", True):
        return truth
    return -truth


@lru_cache(maxsize=1 << 14)
def _facts(memory: tuple[str, ...]) -> Facts:
    return MappingProxyType(memory_facts(memory))
