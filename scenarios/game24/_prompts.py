"""Prompt text for the Game of 24, in the style of Tree of Thoughts / RAFA."""

from __future__ import annotations

from collections.abc import Sequence

from .._prompting import memory_block, reflection_prompt

_RULES = (
    "Use numbers and basic arithmetic operations (+ - * /) to obtain 24. Each step, you are "
    "only allowed to choose two of the remaining numbers to obtain a new number."
)

_PROPOSE_EXAMPLES = """Input: 4 4 6 8
Possible next step: 4 + 8 = 12 (left: 4 6 12)
Input: 2 9 10 12
Possible next step: 12 * 2 = 24 (left: 9 10 24)
Input: 1 3 4 6
Possible next step: 6 / 3 = 2 (left: 1 2 4)"""

_VALUE_EXAMPLES = """Evaluate if given numbers can reach 24 (sure/likely/impossible)
10 14
10 + 14 = 24
sure
11 12
11 + 12 = 23
12 - 11 = 1
11 * 12 = 132
11 / 12 = 0.91
impossible
4 4 10
4 + 4 + 10 = 8 + 10 = 18
4 * 10 - 4 = 40 - 4 = 36
(10 - 4) * 4 = 6 * 4 = 24
sure
1 3 3
1 * 3 * 3 = 9
(1 + 3) * 3 = 12
1 3 3 are all too small
impossible"""

_SOLVE_EXAMPLE = """Input: 4 4 6 8
Steps:
4 + 8 = 12 (left: 4 6 12)
6 - 4 = 2 (left: 2 12)
2 * 12 = 24 (left: 24)
Answer: (6 - 4) * (4 + 8) = 24"""


def propose_prompt(state: str, memory: Sequence[str]) -> str:
    feedback = memory_block(
        memory, "Feedback from the environment on earlier steps of this puzzle:"
    )
    return (
        f"{_RULES} Numbers may become fractions such as 13/2.\n\n{_PROPOSE_EXAMPLES}\n\n"
        f"{feedback}Propose one promising next step that has not been rejected before.\n"
        f"Input: {state}\nPossible next step:"
    )


def value_prompt(state: str, memory: Sequence[str]) -> str:
    feedback = memory_block(memory, "Known facts from the environment:")
    return f"{_VALUE_EXAMPLES}\n\n{feedback}{state}\n"


def solve_prompt(numbers: str, memory: Sequence[str]) -> str:
    lessons = memory_block(
        memory,
        "What you learned from your earlier failed attempts (the environment's verdict on "
        "each step, and your reflections):",
    )
    return (
        f"{_RULES} Write the steps, then the final expression.\n\n{_SOLVE_EXAMPLE}\n\n"
        f"{lessons}Input: {numbers}\nSteps:"
    )


def reflect_prompt(numbers: str, attempt: str, feedback: str) -> str:
    tried = f"You tried to solve the Game of 24 for the numbers {numbers} and failed."
    return reflection_prompt(tried, attempt, feedback)
