"""Prompt text for BlocksWorld: ``bw_config``'s rules, the paper's statement of a
state and goal, and the memory (the environment's feedback, reflections)."""

from __future__ import annotations

from collections.abc import Sequence

from .._prompting import memory_block, reflection_prompt
from ._language import config

_FEEDBACK = "What happened earlier in this episode (the environment's verdict on each action):"


def _statement(state: str) -> str:
    return f"{config().intro}\n\n[STATEMENT]\n{state}\n\n"


def propose_prompt(state: str, memory: Sequence[str]) -> str:
    return (
        f"{_statement(state)}{memory_block(memory, _FEEDBACK)}"
        "Propose the next action toward the goal (not one that was refused before), and say "
        "what will hold after it. Answer with two lines:\n"
        "Action: <e.g. unstack the blue block from on top of the orange block>\n"
        "New state: <every fact that holds after the action, comma separated>"
    )


def predict_prompt(state: str, action: str, memory: Sequence[str]) -> str:
    return (
        f"{_statement(state)}{memory_block(memory, _FEEDBACK)}[ACTION] {action}\n"
        "What holds after this action? Answer 'New state: <every fact, comma separated>'."
    )


def value_prompt(state: str, memory: Sequence[str]) -> str:
    return (
        f"{_statement(state)}{memory_block(memory, _FEEDBACK)}"
        "How close is this state to the goal? Count the actions still needed, then answer "
        "'Value: <number from 0 to 1>' (1: the goal holds now; 1/(1 + actions still needed))."
    )


def solve_prompt(state: str, memory: Sequence[str]) -> str:
    lessons = memory_block(
        memory,
        "What you learned from your earlier failed attempts (the environment's verdict on each "
        "action, and your reflections):",
    )
    return (
        f"{_statement(state)}{lessons}Write the whole plan, one action per line, between "
        "[PLAN] and [PLAN END].\n[PLAN]"
    )


def reflect_prompt(state: str, attempt: str, feedback: str) -> str:
    tried = (
        f"You tried to solve this BlocksWorld problem and failed.\n\n{_statement(state).rstrip()}"
    )
    return reflection_prompt(tried, attempt, feedback)
