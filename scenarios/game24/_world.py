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
from rafa_async.llm import ChatRequest, IntentKind

from .._prompting import ask
from ._parsers import (
    attempt_lines,
    is_answer_line,
    parse_reflection,
    parse_step,
    parse_value,
)
from ._prompts import propose_prompt, reflect_prompt, solve_prompt, value_prompt
from ._state import Game24State, StepError, apply_claimed

SCENARIO = "game24"


@dataclass(frozen=True, slots=True)
class Game24Proposal:
    action: str
    predicted: Game24State


class Game24World:
    def __init__(self, *, model: str = "default") -> None:
        self.model = model

    def _ask(
        self,
        kind: IntentKind,
        prompt: str,
        state: Game24State,
        memory: tuple[str, ...],
        sample: int,
        detail: str = "",
    ) -> ChatRequest:
        return ask(
            kind, SCENARIO, prompt, state.key, memory, sample, model=self.model, detail=detail
        )

    # -- WorldModel ------------------------------------------------------------

    def key(self, state: Game24State) -> str:
        return state.key

    def is_terminal(self, state: Game24State) -> bool:
        return len(state.values) <= 1

    def propose_request(
        self, state: Game24State, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        memory = tuple(memory)
        return self._ask("propose", propose_prompt(state.key, memory), state, memory, sample)

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
        return self._ask("evaluate", value_prompt(state.key, memory), state, memory, sample)

    def parse_value(self, text: str) -> float:
        return parse_value(text)

    # -- AttemptModel (Reflexion / direct) ---------------------------------------

    def solve_request(self, state: Game24State, memory: Sequence[str], sample: int) -> ChatRequest:
        memory = tuple(memory)
        return self._ask("solve", solve_prompt(state.key, memory), state, memory, sample)

    def parse_solution(self, text: str) -> str:
        """The attempt to submit: its step lines and its last ``Answer:`` line,
        as written, without the prose around them (the environment checks it
        line by line).  An attempt without an answer is malformed."""
        lines = attempt_lines(text)
        answers = [line for line in lines if is_answer_line(line)]
        if not answers:
            raise MalformedResponse("expected a line 'Answer: <expression> = 24'", text=text)
        steps = [line for line in lines if not is_answer_line(line)]
        return "\n".join([*steps, answers[-1]])

    def reflect_request(
        self, state: Game24State, attempt: str, feedback: str, sample: int
    ) -> ChatRequest:
        prompt = reflect_prompt(state.key, attempt, feedback)
        return self._ask("reflect", prompt, state, (feedback,), sample, detail=attempt)

    def parse_reflection(self, text: str) -> str:
        return parse_reflection(text)
