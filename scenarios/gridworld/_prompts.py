"""Prompt text for the foraging gridworld: actor (propose), transition model
(predict), critic (evaluate).

Each prompt shows the rules, the agent's local view (never the whole map, so
a prompt's size does not grow with the number of agents), the memory lines,
and asks for one labelled line, so the same parsers read a real model's
answer and the simulated one's.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._prompting import memory_block
from ._view import LocalView

RULES = (
    "Foraging gridworld: many agents share one map and all move at once, one step per tick. "
    "Moves: N (y-1), S (y+1), E (x+1), W (x-1), or stay. Moving onto food eats it (+1). "
    "The map border is a wall: a move into it leaves you where you are. Agents never share "
    "a cell: agents moving into the same cell, or swapping cells, all stay where they were."
)


def propose_prompt(view: LocalView, memory: Sequence[str]) -> str:
    facts = memory_block(memory, "What happened to your earlier moves:")
    return (
        f"{RULES}\n\n{facts}{view.describe()}\n\n"
        "Choose your move for this tick: head for food you can see, and explore when you "
        "see none.\nAnswer with one line: Move: <N, S, E, W or stay>"
    )


def predict_prompt(view: LocalView, memory: Sequence[str]) -> str:
    facts = memory_block(memory, "What happened to your earlier moves:")
    move = view.pending or "stay"
    return (
        f"{RULES}\n\n{facts}{view.describe()}\n\n"
        f"You move {move} this tick. Assume the other agents you see stay where they are. "
        "Where will you be after this tick?\nAnswer with one line: Next position: (x, y)"
    )


def value_prompt(view: LocalView, memory: Sequence[str]) -> str:
    facts = memory_block(memory, "What happened to your earlier moves:")
    ate = "You have just eaten food.\n" if view.ate else ""
    return (
        f"{RULES}\n\n{facts}{view.describe()}\n{ate}\n"
        "How good is this situation for you? 1 means you have just eaten, values near 0 "
        "that no food is in sight; food closer by is better.\n"
        "Answer with one line: Value: <number from 0 to 1>"
    )
