"""The LLM-facing world model every board game shares, built from its :class:`BoardLanguage`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic

from rafa_async import MalformedResponse
from rafa_async.llm import ChatRequest, Intent, IntentKind, Message

from ._state import BoardState, M, S


@dataclass(frozen=True, slots=True)
class BoardLanguage(Generic[S, M]):
    """How one board game is put to an LLM and read back: what a
    :class:`BoardWorld` needs besides the plumbing."""

    scenario: str
    state_from_key: Callable[[str], S]
    opponent: Callable[[str], str]
    """The other player; ``ValueError`` for an unknown one."""
    make_move: Callable[[str, S], M]
    """The world's move record from an action and the position it leads to."""
    propose_prompt: Callable[[S, Sequence[str]], str]
    predict_prompt: Callable[[S, Sequence[str]], str]
    value_prompt: Callable[[S, str, Sequence[str]], str]
    parse_move: Callable[[str], str]
    parse_reply: Callable[[str], str]
    parse_value: Callable[[str], float]


class BoardWorld(Generic[S, M]):
    """Requests carry ``Intent(state=<key>, detail=<player>)``: for ``propose`` and
    ``predict`` the player to move (the agent, or the opponent being modelled),
    for ``evaluate`` the player whose value is asked."""

    def __init__(self, language: BoardLanguage[S, M], *, model: str = "default") -> None:
        self._language = language
        self.model = model

    def _ask(
        self,
        kind: IntentKind,
        prompt: str,
        state: S,
        memory: tuple[str, ...],
        sample: int,
        player: str,
    ) -> ChatRequest:
        intent = Intent(
            kind=kind,
            scenario=self._language.scenario,
            state=state.key,
            memory=memory,
            sample=sample,
            detail=player,
        )
        return ChatRequest(messages=(Message("user", prompt),), model=self.model, intent=intent)

    def key(self, state: S) -> str:
        return state.key

    def state_from_key(self, key: str) -> S:
        return self._language.state_from_key(key)

    def is_terminal(self, state: S) -> bool:
        return state.done

    def outcome(self, state: S, player: str) -> float:
        """A finished game's value to ``player`` by the rules: 1 win, 0 draw, -1 loss."""
        self._language.opponent(player)  # rejects an unknown player
        if not state.done:
            raise ValueError(f"no outcome yet: the game is not over ({state.result})")
        winner = state.winner
        return 0.0 if winner is None else (1.0 if winner == player else -1.0)

    # -- actor -------------------------------------------------------------------

    def propose_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest:
        """Ask for a move for the player to move.  ``ValueError`` if the game is over."""
        _require_open(state, "propose a move")
        memory = tuple(memory)
        prompt = self._language.propose_prompt(state, memory)
        return self._ask("propose", prompt, state, memory, sample, state.to_play)

    def parse_move(self, state: S, text: str) -> M:
        return self._apply(state, self._language.parse_move(text), text, "proposed")

    def parse_proposal(self, state: S, text: str) -> M:
        """``WorldModel`` name for :meth:`parse_move`."""
        return self.parse_move(state, text)

    # -- opponent model ----------------------------------------------------------

    def predict_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest:
        """Ask what the player to move in ``state`` (the opponent) will play."""
        _require_open(state, "predict a reply")
        memory = tuple(memory)
        prompt = self._language.predict_prompt(state, memory)
        return self._ask("predict", prompt, state, memory, sample, state.to_play)

    def parse_reply(self, state: S, text: str) -> M:
        return self._apply(state, self._language.parse_reply(text), text, "predicted")

    # -- critic ------------------------------------------------------------------

    def evaluate_request(
        self,
        state: S,
        memory: Sequence[str],
        sample: int,
        player: str | None = None,
    ) -> ChatRequest:
        """Ask for ``state``'s value to ``player``; by default (None or "") the
        player who just moved, as a planner scores the positions its own
        proposals reach."""
        who = player or self._language.opponent(state.to_play)
        self._language.opponent(who)  # rejects an unknown player
        memory = tuple(memory)
        prompt = self._language.value_prompt(state, who, memory)
        return self._ask("evaluate", prompt, state, memory, sample, who)

    def parse_value(self, text: str) -> float:
        return self._language.parse_value(text)

    def _apply(self, state: S, action: str, text: str, how: str) -> M:
        try:
            return self._language.make_move(action, state.play(action))
        except ValueError as error:
            raise MalformedResponse(f"{how} move is not legal here: {error}", text=text) from None


def _require_open(state: BoardState, what: str) -> None:
    if state.done:
        raise ValueError(f"cannot {what}: the game is over ({state.result})")
