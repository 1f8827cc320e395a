"""How agents and planners talk to an LLM about tic-tac-toe.

:class:`TicTacToeWorld` builds the requests (prompt text plus the structured
intent the sim answers from) and parses the answers.  It satisfies the
planners' ``WorldModel`` (beam search) and ``GameModel`` (MPC) protocols
structurally: ``propose`` is the actor, ``predict`` the opponent model (what
the opponent will reply), ``evaluate`` the critic; ``outcome`` scores a
finished game by the rules.  This module imports no planner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rafa_async import MalformedResponse
from rafa_async.llm import ChatRequest, Intent, IntentKind, Message

from ._board import TicTacToeState, opponent, state_from_key
from ._parsers import parse_move, parse_reply, parse_value
from ._prompts import predict_prompt, propose_prompt, value_prompt

SCENARIO = "tictactoe"


@dataclass(frozen=True, slots=True)
class TicTacToeMove:
    """A move the model proposed or predicted, and the position it leads to."""

    action: str
    predicted: TicTacToeState


class TicTacToeWorld:
    """Requests carry ``Intent(state=<key>, detail=<player>)``: for ``propose`` and
    ``predict`` the player to move (the agent, or the opponent being modelled),
    for ``evaluate`` the player whose value is asked."""

    def __init__(self, *, model: str = "default") -> None:
        self.model = model

    def _ask(
        self,
        kind: IntentKind,
        prompt: str,
        state: TicTacToeState,
        memory: tuple[str, ...],
        sample: int,
        player: str,
    ) -> ChatRequest:
        intent = Intent(
            kind=kind,
            scenario=SCENARIO,
            state=state.key,
            memory=memory,
            sample=sample,
            detail=player,
        )
        return ChatRequest(messages=(Message("user", prompt),), model=self.model, intent=intent)

    def key(self, state: TicTacToeState) -> str:
        return state.key

    def state_from_key(self, key: str) -> TicTacToeState:
        return state_from_key(key)

    def is_terminal(self, state: TicTacToeState) -> bool:
        return state.done

    def outcome(self, state: TicTacToeState, player: str) -> float:
        """A finished game's value to ``player`` by the rules: 1 win, 0 draw, -1 loss."""
        opponent(player)  # rejects an unknown player
        if not state.done:
            raise ValueError(f"no outcome yet: the game is not over ({state.result})")
        winner = state.winner
        return 0.0 if winner is None else (1.0 if winner == player else -1.0)

    # -- actor -------------------------------------------------------------------

    def propose_request(
        self, state: TicTacToeState, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        """Ask for a move for the player to move.  ``ValueError`` if the game is over."""
        _require_open(state, "propose a move")
        memory = tuple(memory)
        prompt = propose_prompt(state, memory)
        return self._ask("propose", prompt, state, memory, sample, state.to_play)

    def parse_move(self, state: TicTacToeState, text: str) -> TicTacToeMove:
        return _apply(state, parse_move(text), text, "proposed")

    def parse_proposal(self, state: TicTacToeState, text: str) -> TicTacToeMove:
        """``WorldModel`` name for :meth:`parse_move`."""
        return self.parse_move(state, text)

    # -- opponent model ----------------------------------------------------------

    def predict_request(
        self, state: TicTacToeState, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        """Ask what the player to move in ``state`` (the opponent) will play."""
        _require_open(state, "predict a reply")
        memory = tuple(memory)
        prompt = predict_prompt(state, memory)
        return self._ask("predict", prompt, state, memory, sample, state.to_play)

    def parse_reply(self, state: TicTacToeState, text: str) -> TicTacToeMove:
        return _apply(state, parse_reply(text), text, "predicted")

    # -- critic ------------------------------------------------------------------

    def evaluate_request(
        self,
        state: TicTacToeState,
        memory: Sequence[str],
        sample: int,
        player: str | None = None,
    ) -> ChatRequest:
        """Ask for ``state``'s value to ``player``; by default (None or "") the
        player who just moved, as a planner scores the positions its own
        proposals reach."""
        who = player or opponent(state.to_play)
        opponent(who)  # rejects an unknown player
        memory = tuple(memory)
        prompt = value_prompt(state, who, memory)
        return self._ask("evaluate", prompt, state, memory, sample, who)

    def parse_value(self, text: str) -> float:
        return parse_value(text)


def _require_open(state: TicTacToeState, what: str) -> None:
    if state.done:
        raise ValueError(f"cannot {what}: the game is over ({state.result})")


def _apply(state: TicTacToeState, cell: str, text: str, how: str) -> TicTacToeMove:
    try:
        return TicTacToeMove(cell, state.play(cell))
    except ValueError as error:
        raise MalformedResponse(f"{how} move is not legal here: {error}", text=text) from None
