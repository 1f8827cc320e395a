"""How an agent and its planner talk to an LLM about the prisoner's dilemma.

:class:`PrisonersDilemmaWorld` satisfies the MPC planner's ``GameModel``
protocol for one seat (``player``), although that protocol is written for
alternating moves.  A simultaneous round is mapped onto its three stages so:

1. **propose** -- a move for ``player`` in the current state.  Its
   "predicted state" is a :class:`PendingRound`: the move committed, the
   others' still unknown (a real state of a simultaneous game cannot hold
   half a round, so the planner's node type is ``IPDState | PendingRound``).
2. **predict** -- from a pending round, the opponents' moves *in the same
   round*.  The request does not reveal the committed move (the opponents
   cannot see it), so every candidate asks the same question: the sim gives
   one answer to all, and a response cache (none exists yet) could send it once.
   ``parse_reply`` completes the round: its predicted state is the full
   next :class:`IPDState`.
3. **evaluate** -- the state after the round, valued for ``player``: its
   expected final total, on [-1, 1].  A pending round can be evaluated too
   (what the committed move is worth), which is what the planner does when
   a prediction was unusable.

Values are the player's own payoff, not the match's ranking score: in a
two-player match no strategy ever ranks above an always-defector, so a
ranking objective would make every opponent look alike and leave nothing to
learn.  ``outcome`` uses the same scale, so a finished line and an evaluated
one compare fairly.  This module imports no planner.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rafa_async.llm import ChatRequest, Intent, IntentKind, Message

from ._parsers import parse_move, parse_prediction, parse_value
from ._prompts import predict_prompt, propose_prompt, value_prompt
from ._state import IPDState, PendingRound, player_index

SCENARIO = "ipd"

Node = IPDState | PendingRound
"""What the planner searches over: states, and rounds with one move committed."""


@dataclass(frozen=True, slots=True)
class IPDMove:
    """A proposed move (``"C"``/``"D"``, leading to a pending round) or a
    predicted reply (``"p2:D,p3:C"``, leading to the next state)."""

    action: str
    predicted: Node


class PrisonersDilemmaWorld:
    """The model of the game for the player in seat ``player`` (``"p1"``..).

    Requests carry ``Intent(state=<key>, detail=<player>)``; see the module
    docstring for how a simultaneous round maps onto propose/predict/evaluate.
    """

    def __init__(self, player: str, *, model: str = "default") -> None:
        if re.fullmatch(r"p[1-9]\d*", player) is None:
            raise ValueError(f"ipd: players are named p1, p2, ...; got {player!r}")
        self.player = player
        self.model = model

    def _ask(
        self,
        kind: IntentKind,
        prompt: str,
        key: str,
        memory: tuple[str, ...],
        sample: int,
        player: str,
    ) -> ChatRequest:
        intent = Intent(
            kind=kind, scenario=SCENARIO, state=key, memory=memory, sample=sample, detail=player
        )
        return ChatRequest(messages=(Message("user", prompt),), model=self.model, intent=intent)

    def key(self, state: Node) -> str:
        return state.key

    def is_terminal(self, state: Node) -> bool:
        return isinstance(state, IPDState) and state.done

    def outcome(self, state: Node, player: str) -> float:
        """A finished match's value to ``player``: its total on the critic's
        [-1, 1] scale (not the ranking score; see the module docstring)."""
        if not self.is_terminal(state):
            raise ValueError("no outcome yet: the match is not over")
        assert isinstance(state, IPDState)
        me = player_index(player, state.rules.n_players)
        return state.rules.normalised(state.totals[me])

    # -- actor -------------------------------------------------------------------

    def propose_request(self, state: Node, memory: Sequence[str], sample: int) -> ChatRequest:
        """Ask for this player's move.  ``ValueError`` for a pending round or a
        finished match."""
        current = self._open_state(state, "propose a move")
        memory = tuple(memory)
        prompt = propose_prompt(current, self.player, memory)
        return self._ask("propose", prompt, current.key, memory, sample, self.player)

    def parse_move(self, state: Node, text: str) -> IPDMove:
        current = self._open_state(state, "propose a move")
        move = parse_move(text)
        return IPDMove(move, PendingRound(current, self.player, move))

    # -- opponent model ----------------------------------------------------------

    def predict_request(self, state: Node, memory: Sequence[str], sample: int) -> ChatRequest:
        """Ask for the opponents' moves in the pending round ``state`` (this
        player's own move stays out of the request)."""
        pending = self._pending(state)
        memory = tuple(memory)
        prompt = predict_prompt(pending.state, self.player, memory)
        return self._ask("predict", prompt, pending.state.key, memory, sample, self.player)

    def parse_reply(self, state: Node, text: str) -> IPDMove:
        pending = self._pending(state)
        players = pending.state.rules.players
        opponents = [q for q in players if q != self.player]
        moves = parse_prediction(text, opponents)
        moves[self.player] = pending.action
        profile = tuple(moves[q] for q in players)
        action = ",".join(f"{q}:{m}" for q, m in moves.items() if q != self.player)
        return IPDMove(action, pending.state.play(profile))

    # -- critic ------------------------------------------------------------------

    def evaluate_request(
        self,
        state: Node,
        memory: Sequence[str],
        sample: int,
        player: str | None = None,
    ) -> ChatRequest:
        """Ask for ``state``'s value to ``player`` (by default, None or "", this
        world's player).  A pending round is valued only for the player who
        committed the move."""
        who = player or self.player
        rules = state.state.rules if isinstance(state, PendingRound) else state.rules
        player_index(who, rules.n_players)
        if isinstance(state, PendingRound) and who != state.player:
            raise ValueError(
                f"ipd: a round pending {state.player}'s move is valued for {state.player}, "
                f"not {who}"
            )
        memory = tuple(memory)
        prompt = value_prompt(state, who, memory)
        return self._ask("evaluate", prompt, state.key, memory, sample, who)

    def parse_value(self, text: str) -> float:
        return parse_value(text)

    # -- checks ------------------------------------------------------------------

    def _open_state(self, state: Node, what: str) -> IPDState:
        if isinstance(state, PendingRound):
            raise ValueError(f"cannot {what}: {state.player}'s move is already committed")
        player_index(self.player, state.rules.n_players)
        if state.done:
            raise ValueError(f"cannot {what}: the match is over ({state.played} rounds)")
        return state

    def _pending(self, state: Node) -> PendingRound:
        if not isinstance(state, PendingRound):
            raise ValueError(
                "ipd: predict from a pending round (this player's move committed); "
                "in a simultaneous game the opponents' moves complete a round, not follow one"
            )
        if state.player != self.player:
            raise ValueError(f"ipd: a round pending {state.player}'s move, not {self.player}'s")
        return state
