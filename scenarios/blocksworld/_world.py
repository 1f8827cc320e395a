"""How agents and planners talk to an LLM about BlocksWorld.

:class:`BlocksWorldModel` is a plain world model (the planners'
``WorldModel``, the baselines' ``AttemptModel``): propose an action with the
state it leads to, evaluate a state's progress to the goal, write a whole
plan, reflect.  It also asks for a next state alone (:meth:`predict_request`),
for planners that predict transitions apart from proposing actions.  Every
prompt carries the state and goal in words and the memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rafa_async import MalformedResponse
from rafa_async.llm import ChatRequest, IntentKind

from .._prompting import ask
from ..game24 import parse_reflection
from ._instances import rules
from ._language import render_action
from ._parsers import parse_action_answer, parse_plan, parse_state_answer, parse_value
from ._prompts import predict_prompt, propose_prompt, reflect_prompt, solve_prompt, value_prompt
from ._state import BlocksState
from ._strips import Facts, GroundAction

SCENARIO = "blocksworld"


@dataclass(frozen=True, slots=True)
class BlocksProposal:
    action: str
    """In words: ``unstack the blue block from on top of the orange block``."""
    predicted: BlocksState


def blocks_of(facts: Facts) -> tuple[str, ...]:
    """The blocks a state mentions (every block is on something, or held)."""
    return tuple(sorted({arg for fact in facts for arg in fact[1:]}))


class BlocksWorldModel:
    def __init__(self, *, model: str = "default") -> None:
        self.model = model

    def _ask(
        self,
        kind: IntentKind,
        prompt: str,
        state: BlocksState,
        memory: tuple[str, ...],
        sample: int,
        detail: str = "",
    ) -> ChatRequest:
        return ask(
            kind, SCENARIO, prompt, state.key, memory, sample, model=self.model, detail=detail
        )

    def _after(self, state: BlocksState, action: GroundAction, text: str) -> BlocksState:
        """The state the answer ``text`` says ``action`` leads to; without a
        ``New state:`` line, what the rules (stated in every prompt) make of it."""
        claimed = parse_state_answer(text)
        if claimed is None:
            try:
                claimed = rules(blocks_of(state.facts)).apply(state.facts, action)
            except ValueError:
                raise MalformedResponse(
                    f"{render_action(action)} is not possible here, and no new state is given",
                    text=text,
                ) from None
        return BlocksState(claimed, state.goal, state.horizon, (*state.actions, action.pddl))

    # -- WorldModel ------------------------------------------------------------

    def key(self, state: BlocksState) -> str:
        return state.key

    def is_terminal(self, state: BlocksState) -> bool:
        return state.reached or state.out_of_steps

    def propose_request(
        self, state: BlocksState, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        memory = tuple(memory)
        return self._ask("propose", propose_prompt(state.key, memory), state, memory, sample)

    def parse_proposal(self, state: BlocksState, text: str) -> BlocksProposal:
        action = parse_action_answer(text)
        return BlocksProposal(render_action(action), self._after(state, action, text))

    def predict_request(
        self, state: BlocksState, action: str, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        """The next state after ``action`` alone (a transition model's question)."""
        memory = tuple(memory)
        prompt = predict_prompt(state.key, action, memory)
        return self._ask("predict", prompt, state, memory, sample, detail=action)

    def parse_prediction(self, state: BlocksState, action: str, text: str) -> BlocksState:
        return self._after(state, parse_action_answer(action), text)

    def evaluate_request(
        self, state: BlocksState, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        memory = tuple(memory)
        return self._ask("evaluate", value_prompt(state.key, memory), state, memory, sample)

    def parse_value(self, text: str) -> float:
        return parse_value(text)

    # -- AttemptModel (Reflexion / direct) ---------------------------------------

    def solve_request(self, state: BlocksState, memory: Sequence[str], sample: int) -> ChatRequest:
        memory = tuple(memory)
        return self._ask("solve", solve_prompt(state.key, memory), state, memory, sample)

    def parse_solution(self, text: str) -> str:
        return parse_plan(text)

    def reflect_request(
        self, state: BlocksState, attempt: str, feedback: str, sample: int
    ) -> ChatRequest:
        prompt = reflect_prompt(state.key, attempt, feedback)
        return self._ask("reflect", prompt, state, (feedback,), sample, detail=attempt)

    def parse_reflection(self, text: str) -> str:
        return parse_reflection(text)
