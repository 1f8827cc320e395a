"""The simulated LLM's knowledge of the prisoner's dilemma: beliefs about opponents.

The truth of this game is the other players' strategies, which no solver
knows; the sim holds *beliefs* about them and plays exactly against those
(``_beliefs``).  What it believes, and how memory changes it:

* **Opponents' strategies**: the prior is a persistent guess per opponent
  seat -- tit-for-tat, except for a persistent ``wrong_belief_rate`` share
  of seats, guessed (persistently) to be grim, always-defect or
  always-cooperate.  Memory facts (the game's feedback, ``"round 3: p2
  played D after CD"``), each heeded at ``memory_adherence``, replace the
  guess by the strategy that explains them best: the posterior, and the
  reason a RAFA agent with memory learns what its opponent is.
* **Predictions** (``predict``): each opponent's move by its believed
  strategy, flipped by chance at ``arithmetic_error_rate``.  The answer
  names the belief first ("p2 looks like tit-for-tat"), as a model would.
* **Proposals** (``propose``): with ``proposal_quality`` the move that earns
  the most over the remaining rounds against the believed strategies, else
  either move, weighted by persistent per-round preferences.
* **Values** (``evaluate``): the total the asking player ends with if it
  plays its best against the believed strategies, mapped linearly from the
  possible range onto [-1, 1] (``Rules.normalised``); a uniformly random
  value at ``value_noise``.

:attr:`PrisonersDilemmaOracle.default_noise` is provisional and uncalibrated:
there is no paper baseline for this game to fit it to.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from rafa_async import ProviderError
from rafa_async.llm import SimContext
from rafa_async.scenarios._noise import provisional_noise

from ._beliefs import BY_NAME, PRIOR, Beliefs, infer, move_values, respond
from ._facts import Fact, memory_facts, played_fact
from ._state import COOPERATE, DEFECT, MOVES, IPDState, PendingRound, node_from_key, player_index

Facts = Mapping[str, tuple[Fact, ...]]

_CHATTER = (
    "The prisoner's dilemma is a classic problem in game theory. Let me think about it",
    "Cooperation builds trust, but defection is tempting; it depends on the others",
    "Sure! Here is my analysis of the history",
)
_WRONG_PRIORS = tuple(name for name in BY_NAME if name != PRIOR)


class PrisonersDilemmaOracle:
    """Answers ``propose``, ``predict`` and ``evaluate`` intents in the prompts' format.

    Every intent names the asking player in ``detail``; ``state`` is a state
    key, or for ``evaluate`` also a pending round's key (``_state``).
    """

    scenario = "ipd"
    # Provisional, not calibrated (no paper baseline for this game): the
    # board games' proposal quality, the library defaults for the rest.
    default_noise = provisional_noise(proposal_quality=0.6)

    def respond(self, ctx: SimContext) -> str:
        kind = ctx.intent.kind
        node = _node(ctx)
        state = node.state if isinstance(node, PendingRound) else node
        player = _player(ctx, state)
        if isinstance(node, PendingRound) and (kind != "evaluate" or node.player != player):
            raise ProviderError(
                f"sim: ipd {kind} intent for {player} names a pending round of {node.player}; "
                "only the committed player's own value can be asked of a pending round",
                status=400,
            )
        if state.done and kind != "evaluate":
            return f"The match is over after {state.played} rounds; there is no move to make."
        beliefs = _beliefs(ctx, state, player, _heeded(ctx, _facts(ctx.intent.memory)))
        if kind == "propose":
            return self._propose(ctx, state, player, beliefs)
        if kind == "predict":
            return self._predict(ctx, state, player, beliefs)
        if kind == "evaluate":
            committed = node.action if isinstance(node, PendingRound) else None
            return self._evaluate(ctx, state, player, beliefs, committed)
        raise ProviderError(f"sim: ipd does not answer {kind!r} intents", status=400)

    def garble(self, text: str, rng: random.Random) -> str:
        choice = rng.randrange(3)
        if choice == 0:
            return rng.choice(_CHATTER) + "..."
        if choice == 1:
            return text[: max(1, len(text) // 3)]
        return re.sub(r"\b[CD]\b|\d", "", text)

    # -- intents -------------------------------------------------------------------

    def _propose(self, ctx: SimContext, state: IPDState, player: str, beliefs: Beliefs) -> str:
        me = player_index(player, state.rules.n_players)
        pool = MOVES
        if ctx.chance(ctx.noise.proposal_quality):
            values = move_values(state.rules, me, beliefs, state.played, state.previous)
            top = max(values.values())
            pool = tuple(m for m in MOVES if values[m] == top)
        weights = [ctx.preference(f"ipd|{state.key}|{player}|{m}") for m in pool]
        return f"Move: {ctx.rng.choices(pool, weights)[0]}"

    def _predict(self, ctx: SimContext, state: IPDState, player: str, beliefs: Beliefs) -> str:
        me = player_index(player, state.rules.n_players)
        profile = respond(beliefs, state.previous, me, COOPERATE)
        reasons, moves = [], []
        for i, (q, name) in enumerate(zip(state.rules.players, beliefs, strict=True)):
            if i == me:
                continue
            move = profile[i]
            if ctx.chance(ctx.noise.arithmetic_error_rate):
                move = DEFECT if move == COOPERATE else COOPERATE
            reasons.append(f"{q} looks like {name}.")
            moves.append(f"{q} plays {move}")
        return f"{' '.join(reasons)}\nPrediction: {', '.join(moves)}"

    def _evaluate(
        self,
        ctx: SimContext,
        state: IPDState,
        player: str,
        beliefs: Beliefs,
        committed: str | None,
    ) -> str:
        me = player_index(player, state.rules.n_players)
        values = move_values(state.rules, me, beliefs, state.played, state.previous)
        future = 0.0 if not values else max(values.values())
        if committed is not None:
            future = values[committed]
        total = state.totals[me] + future
        value = state.rules.normalised(total)
        if ctx.chance(ctx.noise.value_noise):
            value = ctx.rng.uniform(-1.0, 1.0)
        _, hi = state.rules.payoff_range()
        return (
            f"{player} can expect a total of about {total:g} of {hi:g} possible.\n"
            f"Value: {value:.3f}"
        )


def _node(ctx: SimContext) -> IPDState | PendingRound:
    try:
        return node_from_key(ctx.intent.state)
    except ValueError as error:
        raise ProviderError(f"sim: {error}", status=400) from None


def _player(ctx: SimContext, state: IPDState) -> str:
    player = ctx.intent.detail
    try:
        player_index(player, state.rules.n_players)
    except ValueError as error:
        raise ProviderError(
            f"sim: ipd {ctx.intent.kind} intent must name the asking player in detail: {error}",
            status=400,
        ) from None
    return player


def _prior(ctx: SimContext, opponent: str) -> str:
    """The persistent guess about ``opponent`` before any observation."""
    if ctx.prior_belief(f"ipd strategy {opponent}", True):
        return PRIOR
    for k, name in enumerate(_WRONG_PRIORS[:-1]):
        if ctx.persistent_chance(
            f"ipd wrong strategy {opponent} {k}", 1 / (len(_WRONG_PRIORS) - k)
        ):
            return name
    return _WRONG_PRIORS[-1]


def _beliefs(ctx: SimContext, state: IPDState, player: str, facts: Facts) -> Beliefs:
    """A belief per opponent, from the facts about it that fit this game's seats."""
    n = state.rules.n_players

    def seen(q: str) -> list[Fact]:
        return [f for f in facts.get(q, ()) if f.previous is None or len(f.previous) == n]

    return tuple(
        None if q == player else infer(seen(q), _prior(ctx, q)) for q in state.rules.players
    )


@lru_cache(maxsize=1 << 12)
def _facts(memory: tuple[str, ...]) -> Facts:
    return MappingProxyType(memory_facts(memory))


def _heeded(ctx: SimContext, facts: Facts) -> Facts:
    """The observations this request heeds (``memory_adherence``), each decided
    on its own: one round's move is one fact."""
    return {
        q: tuple(f for f in found if ctx.heeds(played_fact(f.round, q, f.move, f.previous)))
        for q, found in facts.items()
    }
