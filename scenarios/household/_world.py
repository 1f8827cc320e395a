"""How agents and planners talk to an LLM about a household task.

:class:`HouseholdWorld` builds the requests (prompt text plus the intent the
sim answers from: the state's text, the memory lines) and reads the answers
back.  A proposed command's predicted state is what the rules make of it in
the state the prompt shows: everything there is visible, as in the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rafa_async import MalformedResponse
from rafa_async.llm import ChatRequest, Intent, IntentKind, Message

from ._parsers import parse_action, parse_reflection, parse_solution, parse_steps_left
from ._prompts import propose_prompt, reflect_prompt, solve_prompt, value_prompt
from ._rules import Refusal, apply
from ._state import HouseState, satisfied

SCENARIO = "household"


@dataclass(frozen=True, slots=True)
class HouseholdProposal:
    action: str
    predicted: HouseState


def value_of(steps_left: int) -> float:
    """A value in (0, 1] from the commands a model says are left: 1 when done."""
    return 1.0 / (1.0 + steps_left)


class HouseholdWorld:
    def __init__(self, *, model: str = "default") -> None:
        self.model = model

    def _ask(
        self,
        kind: IntentKind,
        prompt: str,
        state: HouseState,
        memory: tuple[str, ...],
        sample: int,
        detail: str = "",
    ) -> ChatRequest:
        intent = Intent(
            kind=kind, scenario=SCENARIO, state=state.text, memory=memory, sample=sample,
            detail=detail,
        )  # fmt: skip
        return ChatRequest(messages=(Message("user", prompt),), model=self.model, intent=intent)

    # -- WorldModel ------------------------------------------------------------

    def key(self, state: HouseState) -> str:
        return state.text

    def is_terminal(self, state: HouseState) -> bool:
        return satisfied(state, state.goal)

    def propose_request(self, state: HouseState, memory: Sequence[str], sample: int) -> ChatRequest:
        memory = tuple(memory)
        return self._ask("propose", propose_prompt(state.text, memory), state, memory, sample)

    def parse_proposal(self, state: HouseState, text: str) -> HouseholdProposal:
        command = parse_action(text)
        try:
            predicted, _ = apply(state, command)
        except Refusal as error:
            raise MalformedResponse(
                f"proposed command is not possible here: {error}", text=text
            ) from None
        return HouseholdProposal(action=command.text, predicted=predicted)

    def evaluate_request(
        self, state: HouseState, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        memory = tuple(memory)
        return self._ask("evaluate", value_prompt(state.text, memory), state, memory, sample)

    def parse_value(self, text: str) -> float:
        return value_of(parse_steps_left(text))

    # -- AttemptModel (Reflexion / direct) ---------------------------------------

    def solve_request(self, state: HouseState, memory: Sequence[str], sample: int) -> ChatRequest:
        memory = tuple(memory)
        return self._ask("solve", solve_prompt(state.text, memory), state, memory, sample)

    def parse_solution(self, text: str) -> str:
        return parse_solution(text)

    def reflect_request(
        self, state: HouseState, attempt: str, feedback: str, sample: int
    ) -> ChatRequest:
        prompt = reflect_prompt(state.text, attempt, feedback)
        return self._ask("reflect", prompt, state, (feedback,), sample, detail=attempt)

    def parse_reflection(self, text: str) -> str:
        return parse_reflection(text)
