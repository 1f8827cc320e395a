"""The search tree of :class:`~rafa_async.planners.MCTSPlanner`, and the order
its concurrent simulations take turns in.

Why the turn order: simulations run concurrently, yet each one must see the
same tree whatever order the LLM's answers arrive in, so that a search is
repeatable for a given salt.  Two rules give that:

* **A window over finished simulations.**  Simulation ``i`` starts only when
  every simulation ``<= i - k`` has finished (``k``: the concurrency); the
  rewards it counts are exactly theirs, and the simulations between
  (``i - k < j < i``) count only as virtual loss on the branches they chose.
* **Choices in index order at each node.**  Before choosing a child of a node,
  simulation ``i`` waits until every earlier simulation still running has
  either chosen there or can no longer reach it (its position is not on the
  way there).  So at every node the choices are made in index order, each
  seeing the same virtual loss.

What a simulation sees is then a function of the LLM's answers alone; only
how long it waits depends on the scheduling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Generic

import anyio

from rafa_async.planners._base import Proposal, S, ValueSample


@dataclass(eq=False, slots=True)
class Node(Generic[S]):
    """A state of the tree: the proposal that led to it, its evaluation (the
    *prior* of the simulations' choice), and who went through it."""

    state: S
    parent: Node[S] | None = None
    proposal: Proposal[S] | None = None
    depth: int = 0
    value: float = 0.0
    """The sum of its evaluation samples (as BeamPlanner's)."""
    samples: list[ValueSample] = field(default_factory=list)
    children: list[Node[S]] | None = None
    """None until its expansion is done (then in proposal-sample order)."""
    expanded: anyio.Event | None = None
    """Made by the first simulation to reach it (which expands it); set when
    ``children`` is known."""
    passes: list[int] = field(default_factory=list)
    """The simulations that chose it, in index order."""
    rewards: dict[int, float] = field(default_factory=dict)
    """The reward of each finished simulation that went through it."""

    def path(self) -> list[Node[S]]:
        """The nodes from the root down to this one."""
        nodes: list[Node[S]] = []
        node: Node[S] | None = self
        while node is not None:
            nodes.append(node)
            node = node.parent
        return nodes[::-1]

    def is_on_way_to(self, other: Node[S]) -> bool:
        """Whether this node is ``other`` or one of its ancestors."""
        node: Node[S] | None = other
        while node is not None and node.depth >= self.depth:
            if node is self:
                return True
            node = node.parent
        return False

    def mean_reward(self) -> float:
        return math.fsum(self.rewards.values()) / len(self.rewards) if self.rewards else 0.0


class Turns(Generic[S]):
    """Where each running simulation is, which have finished, and the
    waiting that makes the search independent of the scheduling (see the
    module's docstring).  Every change wakes every waiter, which re-checks
    its own condition: simple, and cheap at a few dozen simulations."""

    def __init__(self) -> None:
        self.positions: dict[int, Node[S]] = {}
        self.rewards: dict[int, float] = {}
        self.calls: dict[int, int] = {}
        """LLM calls of the expansions each simulation made."""
        self.done_prefix = 0
        """Simulations ``< done_prefix`` have all finished."""
        self._changed = anyio.Event()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    def start(self, i: int, root: Node[S]) -> None:
        self.positions[i] = root
        self.calls[i] = 0

    def move(self, i: int, node: Node[S]) -> None:
        self.positions[i] = node
        self._notify()

    def finish(self, i: int, reward: float) -> None:
        del self.positions[i]
        self.rewards[i] = reward
        while self.done_prefix in self.rewards:
            self.done_prefix += 1
        self._notify()

    def blocked(self, i: int, node: Node[S]) -> bool:
        """Whether an earlier running simulation may still choose at ``node``."""
        return any(j < i and at.is_on_way_to(node) for j, at in self.positions.items())

    async def my_turn(self, i: int, node: Node[S]) -> None:
        """Wait until simulation ``i`` may choose a child of ``node``."""
        while True:
            changed = self._changed
            if not self.blocked(i, node):
                return
            await changed.wait()

    async def window_open(self, i: int, k: int) -> None:
        """Wait until every simulation ``<= i - k`` has finished."""
        while True:
            changed = self._changed
            if self.done_prefix > i - k:
                return
            await changed.wait()

    def calls_before(self, i: int, k: int) -> int:
        """The LLM calls of the simulations ``<= i - k`` (all finished once
        ``i``'s window is open): what a budget is checked against."""
        return sum(self.calls[j] for j in range(max(0, i - k + 1)))

    def reward_range(self, i: int, k: int) -> tuple[float, float]:
        """The lowest and highest reward of the simulations ``<= i - k``
        (``(0, 0)`` if none): UCT's rewards are scaled to [0, 1] by it."""
        seen = [self.rewards[j] for j in range(max(0, i - k + 1))]
        return (min(seen), max(seen)) if seen else (0.0, 0.0)
