"""How agents and planners talk to an LLM about the Game of 24.

:class:`Game24World` builds the requests (prompt text plus the structured
intent the sim answers from) and parses the answers.  It satisfies the
planners' ``WorldModel`` and the baselines' ``AttemptModel`` protocols
structurally; this module imports neither (scenarios sit below agents).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rafa_async import MalformedResponse
from rafa_async.llm import ChatRequest, Intent, Message

from ._parsers import parse_answer, parse_reflection, parse_step, parse_value
from ._prompts import propose_prompt, reflect_prompt, solve_prompt, value_prompt
from ._state import Game24State, StepError, apply_claimed

SCENARIO = "game24"


@dataclass(frozen=True, slots=True)
class Game24Proposal:
    action: str
    predicted: Game24State


def _request(prompt: str, intent: Intent, model: str) -> ChatRequest:
    return ChatRequest(messages=(Message("user", prompt),), model=model, intent=intent)


class Game24World:
    def __init__(self, *, model: str = "default") -> None:
        self.model = model

    # -- WorldModel ------------------------------------------------------------

    def key(self, state: Game24State) -> str:
        return state.key

    def is_terminal(self, state: Game24State) -> bool:
        return len(state.values) <= 1

    def propose_request(
        self, state: Game24State, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        memory = tuple(memory)
        intent = Intent(
            kind="propose", scenario=SCENARIO, state=state.key, memory=memory, sample=sample
        )
        return _request(propose_prompt(state.key, memory), intent, self.model)

    def parse_proposal(self, state: Game24State, text: str) -> Game24Proposal:
        step = parse_step(text)
        try:
            predicted = apply_claimed(state, step)
        except StepError as error:
            raise MalformedResponse(
                f"proposed step is not legal here: {error}", text=text
            ) from None
        return Game24Proposal(action=step.text, predicted=predicted)

    def evaluate_request(
        self, state: Game24State, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        memory = tuple(memory)
        intent = Intent(
            kind="evaluate", scenario=SCENARIO, state=state.key, memory=memory, sample=sample
        )
        return _request(value_prompt(state.key, memory), intent, self.model)

    def parse_value(self, text: str) -> float:
        return parse_value(text)

    # -- AttemptModel (Reflexion / direct) ---------------------------------------

    def solve_request(self, state: Game24State, memory: Sequence[str], sample: int) -> ChatRequest:
        memory = tuple(memory)
        intent = Intent(
            kind="solve", scenario=SCENARIO, state=state.key, memory=memory, sample=sample
        )
        return _request(solve_prompt(state.key, memory), intent, self.model)

    def parse_solution(self, text: str) -> str:
        return f"Answer: {parse_answer(text)}"

    def reflect_request(
        self, state: Game24State, attempt: str, feedback: str, sample: int
    ) -> ChatRequest:
        intent = Intent(
            kind="reflect",
            scenario=SCENARIO,
            state=state.key,
            memory=(feedback,),
            sample=sample,
            detail=attempt,
        )
        return _request(reflect_prompt(state.key, attempt, feedback), intent, self.model)

    def parse_reflection(self, text: str) -> str:
        return parse_reflection(text)
