"""The exact optimal planner: breadth-first search over states (the sim's oracle).

The instances have four or five blocks: 125 or 866 legal states.
:func:`optimal_plan` is a plain BFS.  :func:`distance`, which the oracle asks
for every state it judges, looks legal states up in one table per goal (a
backward search over every legal state, made once); anything else is
searched from, as :func:`optimal_plan` does.
"""

from __future__ import annotations

from collections import deque
from functools import cache, lru_cache

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
        for action, nxt in rules.successors(facts):
            if nxt not in parents:
                parents[nxt] = (facts, action)
                queue.append(nxt)
    return None


@cache
def _space(rules: Strips) -> dict[Facts, list[Facts]]:
    """Every legal state over ``rules``' blocks, each with the states one move before it.

    The legal states are those reachable from all blocks on the table with
    the hand empty (every tower can be taken down and built up again).  One
    per set of blocks: the data sets use two sets of four and five blocks
    (125 and 866 states)."""
    blocks = rules.objects
    start: Facts = frozenset(
        {("handempty",)} | {("ontable", b) for b in blocks} | {("clear", b) for b in blocks}
    )
    predecessors: dict[Facts, list[Facts]] = {start: []}
    queue: deque[Facts] = deque([start])
    while queue:
        facts = queue.popleft()
        for _, nxt in rules.successors(facts):
            if nxt not in predecessors:
                predecessors[nxt] = []
                queue.append(nxt)
            predecessors[nxt].append(facts)
    return predecessors


@lru_cache(maxsize=512)
def _goal_distances(rules: Strips, goal: Facts) -> dict[Facts, int]:
    """The distance to ``goal`` of every legal state that can reach it: one
    breadth-first search backwards from the legal states that satisfy it."""
    space = _space(rules)
    found = {facts: 0 for facts in space if rules.satisfies(facts, goal)}
    queue = deque(found)
    while queue:
        facts = queue.popleft()
        for before in space[facts]:
            if before not in found:
                found[before] = found[facts] + 1
                queue.append(before)
    return found


@lru_cache(maxsize=1 << 14)
def _searched_distance(rules: Strips, start: Facts, goal: Facts) -> int | None:
    plan = optimal_plan(rules, start, goal)
    return None if plan is None else len(plan)


def distance(rules: Strips, start: Facts, goal: Facts) -> int | None:
    """The length of an optimal plan (``None``: unreachable).

    A legal state's is looked up (every state reachable from a legal state is
    legal, so the backward search over them is exact); any other state (a
    model's misreading, a fact missing) is searched from, and remembered."""
    if start in _space(rules):
        return _goal_distances(rules, goal).get(start)
    return _searched_distance(rules, start, goal)


def optimal_actions(rules: Strips, start: Facts, goal: Facts) -> list[GroundAction]:
    """The applicable actions that begin some optimal plan (none at the goal)."""
    here = distance(rules, start, goal)
    if not here:
        return []
    return [a for a, nxt in rules.successors(start) if distance(rules, nxt, goal) == here - 1]
