"""How agents and planners talk to an LLM about a household task.

:class:`CommandWorld` builds the requests of any world played with
TextWorld-style commands (prompt text plus the intent the sim answers from:
the state's text, the memory lines) and reads the answers back; the real
ALFWorld's world model (``rafa_async.adapters.alfworld_world``) shares it.
:class:`HouseholdWorld` adds the household's states: a proposed command's
predicted state is what the rules make of it in the state the prompt shows
(everything there is visible, as in the prompt).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from rafa_async import MalformedResponse
from rafa_async.llm import ChatRequest, Intent, IntentKind, Message

from ._parsers import parse_action, parse_reflection, parse_solution, parse_steps_left
from ._prompts import propose_prompt, reflect_prompt, solve_prompt, value_prompt
from ._rules import Refusal, apply
from ._state import HouseState, satisfied

S = TypeVar("S")
SCENARIO = "household"


@dataclass(frozen=True, slots=True)
class HouseholdProposal:
    action: str
    predicted: HouseState


def value_of(steps_left: int) -> float:
    """A value in (0, 1] from the commands a model says are left: 1 when done."""
    return 1.0 / (1.0 + steps_left)


class CommandWorld(Generic[S]):
    """The requests and parsers of a world of text commands; a subclass names
    its scenario and says how a state reads (:meth:`text`), when it is over
    and what a proposal predicts."""

    scenario: str

    def __init__(self, *, model: str = "default") -> None:
        self.model = model

    def text(self, state: S) -> str:
        """The state as the prompts show it (and the intent carries it)."""
        raise NotImplementedError

    def _ask(
        self,
        kind: IntentKind,
        prompt: str,
        state: S,
        memory: Sequence[str],
        sample: int,
        detail: str = "",
    ) -> ChatRequest:
        intent = Intent(
            kind=kind, scenario=self.scenario, state=self.text(state), memory=tuple(memory),
            sample=sample, detail=detail,
        )  # fmt: skip
        return ChatRequest(messages=(Message("user", prompt),), model=self.model, intent=intent)

    def key(self, state: S) -> str:
        return self.text(state)

    def propose_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest:
        prompt = propose_prompt(self.text(state), memory)
        return self._ask("propose", prompt, state, memory, sample)

    def evaluate_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest:
        prompt = value_prompt(self.text(state), memory)
        return self._ask("evaluate", prompt, state, memory, sample)

    def parse_value(self, text: str) -> float:
        return value_of(parse_steps_left(text))

    def solve_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest:
        return self._ask("solve", solve_prompt(self.text(state), memory), state, memory, sample)

    def parse_solution(self, text: str) -> str:
        return parse_solution(text)

    def reflect_request(self, state: S, attempt: str, feedback: str, sample: int) -> ChatRequest:
        prompt = reflect_prompt(self.text(state), attempt, feedback)
        return self._ask("reflect", prompt, state, (feedback,), sample, detail=attempt)

    def parse_reflection(self, text: str) -> str:
        return parse_reflection(text)


class HouseholdWorld(CommandWorld[HouseState]):
    scenario = SCENARIO

    def text(self, state: HouseState) -> str:
        return state.text

    def is_terminal(self, state: HouseState) -> bool:
        return satisfied(state, state.goal)

    def parse_proposal(self, state: HouseState, text: str) -> HouseholdProposal:
        command = parse_action(text)
        try:
            predicted, _ = apply(state, command)
        except Refusal as error:
            raise MalformedResponse(
                f"proposed command is not possible here: {error}", text=text
            ) from None
        return HouseholdProposal(action=command.text, predicted=predicted)
