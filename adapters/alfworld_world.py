"""How agents talk to a real LLM about an ALFWorld game: the household's
prompts and parsers over the game's text so far.

ALFWorld is partially observed: a state is what the agent has seen (the
game's introduction, each command and what it showed), and a proposed
command's predicted state is that text with the command appended and its
outcome still unseen.  The simulated LLM has no ALFWorld oracle (it would
need the game's hidden world, which is not in the prompt): these requests
are for real providers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from rafa_async import MalformedResponse
from rafa_async.llm import ChatRequest, Intent, IntentKind, Message
from rafa_async.scenarios.household import (
    parse_action,
    parse_reflection,
    parse_solution,
    parse_steps_left,
    propose_prompt,
    reflect_prompt,
    solve_prompt,
    value_of,
    value_prompt,
)

from .alfworld import ALFWorldState

SCENARIO = "alfworld"
UNSEEN = "(not observed yet)"
"""The observation of a command the model only imagines."""


_ACTION_RE = re.compile(r"^\W*(?:action|command)\W*:\s*(?P<command>.+)$", re.IGNORECASE)


def _command_line(line: str) -> str:
    """A line's command as the model wrote it (ALFWorld versions word ``put``
    differently, so it is not rewritten), or empty if it states none."""
    try:
        parse_action(line)
    except MalformedResponse:
        return ""
    match = _ACTION_RE.match(line.strip())
    raw = match.group("command") if match else line
    return " ".join(raw.replace("*", "").replace("`", "").strip().lstrip(">").split()).rstrip(".")


def _as_written(text: str) -> str:
    """The last command ``text`` states, as written; malformed if none."""
    for line in reversed(text.splitlines()):
        if found := _command_line(line):
            return found
    return parse_action(text).text  # malformed if no command at all


@dataclass(frozen=True, slots=True)
class ALFWorldProposal:
    action: str
    predicted: ALFWorldState


class ALFWorldWorld:
    """The world model (``rafa``, ``tot``) and attempt model (``reflexion``,
    ``direct``) for ALFWorld games."""

    def __init__(self, *, model: str = "default") -> None:
        self.model = model

    def _ask(
        self,
        kind: IntentKind,
        prompt: str,
        state: ALFWorldState,
        memory: Sequence[str],
        sample: int,
        detail: str = "",
    ) -> ChatRequest:
        intent = Intent(
            kind=kind, scenario=SCENARIO, state=state.text, memory=tuple(memory), sample=sample,
            detail=detail,
        )  # fmt: skip
        return ChatRequest(messages=(Message("user", prompt),), model=self.model, intent=intent)

    def key(self, state: ALFWorldState) -> str:
        return state.text

    def is_terminal(self, state: ALFWorldState) -> bool:
        return state.won

    def propose_request(
        self, state: ALFWorldState, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        return self._ask("propose", propose_prompt(state.text, memory), state, memory, sample)

    def parse_proposal(self, state: ALFWorldState, text: str) -> ALFWorldProposal:
        command = _as_written(text)
        predicted = replace(state, history=(*state.history, (command, UNSEEN)))
        return ALFWorldProposal(command, predicted)

    def evaluate_request(
        self, state: ALFWorldState, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        return self._ask("evaluate", value_prompt(state.text, memory), state, memory, sample)

    def parse_value(self, text: str) -> float:
        return value_of(parse_steps_left(text))

    def solve_request(
        self, state: ALFWorldState, memory: Sequence[str], sample: int
    ) -> ChatRequest:
        return self._ask("solve", solve_prompt(state.text, memory), state, memory, sample)

    def parse_solution(self, text: str) -> str:
        parse_solution(text)  # malformed without a command
        return "\n".join(c for c in (_command_line(line) for line in text.splitlines()) if c)

    def reflect_request(
        self, state: ALFWorldState, attempt: str, feedback: str, sample: int
    ) -> ChatRequest:
        prompt = reflect_prompt(state.text, attempt, feedback)
        return self._ask("reflect", prompt, state, (feedback,), sample, detail=attempt)

    def parse_reflection(self, text: str) -> str:
        return parse_reflection(text)
