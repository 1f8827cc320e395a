"""The exact optimal planner: breadth-first search over states (the sim's oracle).

The instances have four or five blocks, a few hundred reachable states at
most, so plain BFS is exact and fast; distances are cached per (state, goal).
"""

from __future__ import annotations

from collections import deque
from functools import lru_cache

from ._strips import Facts, GroundAction, Strips


def optimal_plan(rules: Strips, start: Facts, goal: Facts) -> list[GroundAction] | None:
    """A shortest action sequence from ``start`` to a state satisfying ``goal``;
    ``None`` if no state reachable from ``start`` does."""
    parents: dict[Facts, tuple[Facts, GroundAction] | None] = {start: None}
    queue = deque([start])
    while queue:
        facts = queue.popleft()
        if rules.satisfies(facts, goal):
            plan: list[GroundAction] = []
            link = parents[facts]
            while link is not None:
                facts, action = link
                plan.append(action)
                link = parents[facts]
            return plan[::-1]
        for action in rules.applicable(facts):
            nxt = rules.apply(facts, action)
            if nxt not in parents:
                parents[nxt] = (facts, action)
                queue.append(nxt)
    return None


@lru_cache(maxsize=1 << 14)
def distance(rules: Strips, start: Facts, goal: Facts) -> int | None:
    """The length of an optimal plan (``None``: unreachable)."""
    plan = optimal_plan(rules, start, goal)
    return None if plan is None else len(plan)


def optimal_actions(rules: Strips, start: Facts, goal: Facts) -> list[GroundAction]:
    """The applicable actions that begin some optimal plan (none at the goal)."""
    here = distance(rules, start, goal)
    if not here:
        return []
    return [
        a
        for a in rules.applicable(start)
        if distance(rules, rules.apply(start, a), goal) == here - 1
    ]
