"""The simulated LLM's knowledge of the foraging gridworld, corrupted.

Every answer is computed from the intent's local view (its key) and memory
alone, so it costs O(view + memory), never O(map) -- the sim keeps up with
thousands of agents.

What the sim believes, and how memory changes it:

* **Axes**: a persistent ``wrong_belief_rate`` share of agents believe y
  grows northward (N and S swapped: the screen-versus-maths confusion), so
  they propose and predict vertical moves backwards.  A fact in memory showing
  where an N or S move aimed (the game's feedback, see ``_facts``) corrects
  the belief, if the request heeds it (``memory_adherence``): the posterior.
* **Proposals** (``propose``): with probability ``proposal_quality`` a move
  that brings the agent closer to the nearest food it sees (preferring cells
  no visible agent stands on), or, with no food in sight, a move that explores
  away from the border; otherwise any move.  Ties and random picks follow the
  agent's persistent per-move preferences (a favourite heading).
* **Transitions** (``predict``): the believed step, blocked by the border and
  by visible agents (assumed to stay); at ``arithmetic_error_rate`` a wrong
  neighbouring cell.
* **Values** (``evaluate``): :func:`food_value` of the view; at
  ``value_noise`` a random number instead.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from rafa_async import ProviderError
from rafa_async.llm import SimContext
from rafa_async.scenarios._noise import provisional_noise

from ._facts import observed_moves
from ._state import DELTAS, MOVES
from ._view import LocalView, Point, food_value, view_from_key

_CHATTER = (
    "Let me look around carefully. There are a few agents nearby and I should be careful",
    "This is an interesting situation; several directions look promising",
    "Sure! Here is my analysis of the surroundings",
)
_FLIPPED = MappingProxyType({**DELTAS, "N": DELTAS["S"], "S": DELTAS["N"]})
_TRUE = MappingProxyType(dict(DELTAS))


class ForagingOracle:
    """Answers ``propose``, ``predict`` and ``evaluate`` intents in the prompts' format."""

    scenario = "gridworld"
    # Provisional and NOT calibrated: no paper baseline exists for this
    # scenario.  Chosen so that a single sample is usually sensible and the
    # noise paths (confused axes, wrong transitions, garbled text) all occur.
    default_noise = provisional_noise(
        proposal_quality=0.7,
        wrong_belief_rate=0.05,
        value_noise=0.1,
        arithmetic_error_rate=0.05,
        malformed_rate=0.02,
    )

    def respond(self, ctx: SimContext) -> str:
        kind = ctx.intent.kind
        view = _view(ctx)
        moves = _believed_moves(ctx, view.player)
        if kind == "propose":
            return self._propose(ctx, view, moves)
        if kind == "predict":
            return self._predict(ctx, view, moves)
        if kind == "evaluate":
            return self._evaluate(ctx, view)
        raise ProviderError(f"sim: gridworld does not answer {kind!r} intents", status=400)

    def garble(self, text: str, rng: random.Random) -> str:
        choice = rng.randrange(3)
        if choice == 0:
            return rng.choice(_CHATTER) + "..."
        last = text.splitlines()[-1]
        if choice == 1:
            return last[: max(1, min(len(last) // 3, 3))]
        return f"{last.partition(':')[0]}: it depends on what the others do."

    # -- intents -------------------------------------------------------------------

    def _propose(self, ctx: SimContext, view: LocalView, moves: Mapping[str, Point]) -> str:
        if view.done:
            return "The match is over; there is no move to make."
        if view.pending:
            raise ProviderError(
                f"sim: gridworld propose intent for a view that already moved {view.pending}: "
                f"{ctx.intent.state}",
                status=400,
            )
        pool: tuple[str, ...] = MOVES
        reason = "Any move will do."
        if ctx.chance(ctx.noise.proposal_quality):
            nearest = view.nearest_food()
            if nearest is not None:
                steps, (fx, fy) = nearest
                reason = f"The nearest food I see is at ({fx}, {fy})."
                closer = tuple(m for m in "NSEW" if _steps(view, moves[m], fx, fy) < steps)
                free = tuple(m for m in closer if _aim(view, moves[m]) not in view.agents)
                pool = free or closer or pool
            else:
                reason = "I see no food, so I explore."
                pool = tuple(m for m in "NSEW" if view.inside(*_aim(view, moves[m]))) or pool
        weights = [ctx.preference(f"{view.player}|{m}") for m in pool]
        return f"{reason}\nMove: {ctx.rng.choices(pool, weights)[0]}"

    def _predict(self, ctx: SimContext, view: LocalView, moves: Mapping[str, Point]) -> str:
        move = view.pending or "stay"
        x, y = _aim(view, moves[move])
        if not view.inside(x, y) or (x, y) in view.agents:
            x, y = view.at
        if ctx.chance(ctx.noise.arithmetic_error_rate):
            wrong = [
                (ax, ay)
                for ax, ay in (_aim(view, d) for d in DELTAS.values())
                if view.inside(ax, ay) and (ax, ay) != (x, y)
            ]
            if wrong:
                x, y = ctx.rng.choice(wrong)
        return f"Moving {move} from ({view.x}, {view.y}).\nNext position: ({x}, {y})"

    def _evaluate(self, ctx: SimContext, view: LocalView) -> str:
        if view.ate:
            reason = "I have just eaten."
        else:
            nearest = view.nearest_food()
            reason = (
                "I see no food."
                if nearest is None
                else (f"The nearest food I see is {nearest[0]} steps away.")
            )
        value = ctx.rng.random() if ctx.chance(ctx.noise.value_noise) else food_value(view)
        return f"{reason}\nValue: {value:.2f}"


def _view(ctx: SimContext) -> LocalView:
    try:
        return view_from_key(ctx.intent.state)
    except ValueError as error:
        raise ProviderError(f"sim: {error}", status=400) from None


def _believed_moves(ctx: SimContext, player: str) -> Mapping[str, Point]:
    """The step the agent believes each move takes (see the module docstring)."""
    seen = ctx.heeded(_observed(ctx.intent.memory))
    if "N" in seen or "S" in seen:
        return _TRUE
    return _TRUE if ctx.prior_belief(f"gridworld axes {player}", True) else _FLIPPED


def _aim(view: LocalView, delta: Point) -> Point:
    return view.x + delta[0], view.y + delta[1]


def _steps(view: LocalView, delta: Point, fx: int, fy: int) -> int:
    x, y = _aim(view, delta)
    return abs(fx - x) + abs(fy - y)


@lru_cache(maxsize=1 << 14)
def _observed(memory: tuple[str, ...]) -> Mapping[str, Point]:
    return MappingProxyType(observed_moves(memory))
