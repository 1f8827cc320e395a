"""Prompt text for the household tasks, in the style of ReAct / RAFA's ALFWorld prompts."""

from __future__ import annotations

from collections.abc import Sequence

from .._prompting import memory_block

_RULES = (
    "You are in a household. Complete the task with text commands, one at a time: "
    "go to X, open X, close X, take OBJ from X, put OBJ in/on X, clean OBJ with sinkbasin 1, "
    "heat OBJ with microwave 1, cool OBJ with fridge 1, use desklamp 1, examine X, inventory, "
    "look. You must be at a receptacle to use it, a closed receptacle must be opened before "
    "you take from it or put into it, and you can hold one object at a time."
)

_EXAMPLE = """Your task is to: heat some egg and put it in countertop.
You are in the middle of the room.
You are holding nothing.
On the countertop 1: nothing.
In the fridge 1 (closed): a egg 1.
In the microwave 1 (closed): nothing.
On the sidetable 1: a desklamp 1 (off).
> go to fridge 1
> open fridge 1
> take egg 1 from fridge 1
> go to microwave 1
> heat egg 1 with microwave 1
> go to countertop 1
> put egg 1 in/on countertop 1"""


def propose_prompt(state: str, memory: Sequence[str]) -> str:
    feedback = memory_block(memory, "What the environment said earlier in this task:")
    return (
        f"{_RULES}\n\nExample of a whole task:\n{_EXAMPLE}\n\n{feedback}"
        f"Current situation:\n{state}\n\nPropose the next command. "
        "Answer with one line 'Action: <command>'."
    )


def value_prompt(state: str, memory: Sequence[str]) -> str:
    feedback = memory_block(memory, "What the environment said earlier in this task:")
    return (
        f"{_RULES}\n\n{feedback}Situation:\n{state}\n\nHow many more commands does the task "
        "need from this situation (0 if it is done)? Answer with one line 'Steps left: <number>'."
    )


def solve_prompt(state: str, memory: Sequence[str]) -> str:
    lessons = memory_block(
        memory,
        "What you learned from your earlier failed attempts (the environment's observations "
        "and your reflections):",
    )
    return (
        f"{_RULES}\n\nExample:\n{_EXAMPLE}\n\n{lessons}{state}\n\n"
        "Write every command that completes the task, one per line, each starting with '> '."
    )


def reflect_prompt(state: str, attempt: str, feedback: str) -> str:
    return (
        "You are an advanced reasoning agent that improves by reflecting on its mistakes. "
        f"You tried this household task and failed.\n\n{state}\n\nYour attempt:\n{attempt}\n\n"
        f"What the environment said:\n{feedback}\n\n"
        "In a few sentences, diagnose the mistake and say what to do differently. "
        "Begin with 'Reflection:'."
    )
