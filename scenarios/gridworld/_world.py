"""How agents and planners talk to an LLM about the foraging gridworld.

:class:`ForagingWorld` satisfies the planners' ``GameModel`` protocol (MPC)
structurally, over **local views**: the planner's states are
:class:`LocalView` objects, each one agent's window on the map, so planning
costs O(view) whatever the number of agents.  The three MPC stages map to:

``propose``   the actor: a move for the agent (``Move: N``).  The proposal's
              ``predicted`` state is the *post-decision* view: the move
              chosen, the world yet to answer.
``predict``   the transition model, in the opponent's seat: where the agent
              will be after the tick, the other agents assumed to stay
              (``Next position: (3, 4)``).  Its ``action`` is ``to (3, 4)``.
``evaluate``  the critic: the value of the view reached, in [0, 1]
              (``Value: 0.5``; see :func:`food_value`).

A planner may also be handed the full :class:`ForagingState` -- that is what
:class:`~rafa_async.agents.RafaPlayer` passes (``seat.state``).  The
``GameModel`` methods do not say whose move is planned, so a world that must
read full states is *bound* to one player, and converts with
:meth:`Foraging.local_view`: give each RafaPlayer its own
``MPCPlanner(llm, world.for_player(name))`` (the world and planner are a few
attributes each; the state's indexes are shared).  Use RafaPlayer with
``speculate=False``: every agent moves every tick, so there is no opponent
turn to speculate in.  For mypy, name the state type when a planner is fed
full states: ``MPCPlanner[PlanState](llm, world.for_player(name))`` (inference
alone settles on ``LocalView``, what proposals predict).  This module imports
no planner or agent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rafa_async import MalformedResponse
from rafa_async.llm import ChatRequest, Intent, IntentKind, Message

from ._game import Foraging
from ._parsers import parse_move, parse_position, parse_value
from ._prompts import predict_prompt, propose_prompt, value_prompt
from ._state import ForagingState
from ._view import LocalView, view_from_key

SCENARIO = "gridworld"

PlanState = ForagingState | LocalView
"""What :class:`ForagingWorld` plans from: a full state (bound worlds) or a local view."""


@dataclass(frozen=True, slots=True)
class ForagingMove:
    """A move the model proposed (or the world's predicted answer) and the
    view it leads to."""

    action: str
    predicted: LocalView


class ForagingWorld:
    """Requests carry ``Intent(state=<view key>, detail=<player>)``.

    ``game`` and ``player`` are needed only to read full states (see the
    module docstring); a world without them plans from local views.
    """

    __slots__ = ("game", "model", "player")

    def __init__(
        self, game: Foraging | None = None, *, player: str | None = None, model: str = "default"
    ) -> None:
        if player is not None:
            if game is None:
                raise ValueError("ForagingWorld(player=...) needs the game to read its states")
            game.index_of(player)
        self.game = game
        self.player = player
        self.model = model

    def for_player(self, player: str) -> ForagingWorld:
        """This world bound to ``player``, so it reads full states as ``player``'s view."""
        return ForagingWorld(self.game, player=player, model=self.model)

    def view(self, state: PlanState) -> LocalView:
        """``state`` as a local view (converted from a full state for the bound player)."""
        if isinstance(state, LocalView):
            return state
        if self.game is None or self.player is None:
            raise ValueError(
                "a full ForagingState needs a world bound to a player: "
                "ForagingWorld(game, player=...) or world.for_player(name)"
            )
        return self.game.local_view(state, self.player)

    def _ask(
        self, kind: IntentKind, prompt: str, view: LocalView, memory: tuple[str, ...], sample: int
    ) -> ChatRequest:
        intent = Intent(
            kind=kind,
            scenario=SCENARIO,
            state=view.key,
            memory=memory,
            sample=sample,
            detail=view.player,
        )
        return ChatRequest(messages=(Message("user", prompt),), model=self.model, intent=intent)

    def key(self, state: PlanState) -> str:
        return self.view(state).key

    def state_from_key(self, key: str) -> LocalView:
        return view_from_key(key)

    def is_terminal(self, state: PlanState) -> bool:
        return self.view(state).done

    def outcome(self, state: PlanState, player: str) -> float:
        """A finished view's value by the rules: 1 if its last tick ate food, else 0."""
        view = self._own(state, player)
        if not view.done:
            raise ValueError(f"no outcome yet: the match is not over at tick {view.tick}")
        return 1.0 if view.ate else 0.0

    # -- actor -------------------------------------------------------------------

    def propose_request(self, state: PlanState, memory: Sequence[str], sample: int) -> ChatRequest:
        """Ask for the agent's move.  ``ValueError`` if the match is over."""
        view = self.view(state)
        _require_open(view, "propose a move")
        memory = tuple(memory)
        return self._ask("propose", propose_prompt(view, memory), view, memory, sample)

    def parse_move(self, state: PlanState, text: str) -> ForagingMove:
        """The proposed move and the post-decision view (move chosen, not yet applied)."""
        move = parse_move(text)
        return ForagingMove(move, self.view(state).choose(move))

    def parse_proposal(self, state: PlanState, text: str) -> ForagingMove:
        """``WorldModel`` name for :meth:`parse_move`."""
        return self.parse_move(state, text)

    # -- transition model ----------------------------------------------------------

    def predict_request(self, state: PlanState, memory: Sequence[str], sample: int) -> ChatRequest:
        """Ask where the agent will be after its chosen move (``stay`` if none was
        chosen: a full state or a plain view)."""
        view = self.view(state)
        _require_open(view, "predict the next tick")
        memory = tuple(memory)
        return self._ask("predict", predict_prompt(view, memory), view, memory, sample)

    def parse_reply(self, state: PlanState, text: str) -> ForagingMove:
        """The predicted next view.  A position off the map or more than one
        step away is a :class:`~rafa_async.MalformedResponse`."""
        view = self.view(state)
        x, y = parse_position(text)
        if not view.inside(x, y):
            raise MalformedResponse(
                f"predicted position ({x}, {y}) is off the {view.width}x{view.height} map",
                text=text,
            )
        if abs(x - view.x) + abs(y - view.y) > 1:
            raise MalformedResponse(
                f"predicted position ({x}, {y}) is not one step from ({view.x}, {view.y})",
                text=text,
            )
        return ForagingMove(f"to ({x}, {y})", view.arrive(x, y))

    # -- critic ------------------------------------------------------------------

    def evaluate_request(
        self, state: PlanState, memory: Sequence[str], sample: int, player: str | None = None
    ) -> ChatRequest:
        """Ask for the view's value to its agent (``player``, if given, must be
        that agent: a view is one agent's)."""
        view = self._own(state, player)
        memory = tuple(memory)
        return self._ask("evaluate", value_prompt(view, memory), view, memory, sample)

    def parse_value(self, text: str) -> float:
        return parse_value(text)

    def _own(self, state: PlanState, player: str | None) -> LocalView:
        view = self.view(state)
        if player and player != view.player:
            raise ValueError(f"this view is {view.player}'s, not {player}'s")
        return view


def _require_open(view: LocalView, what: str) -> None:
    if view.done:
        raise ValueError(f"cannot {what}: the match is over at tick {view.tick}")
