"""Beam / breadth-first search over an LLM world model (Tree of Thoughts style)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Generic, TypeVar

import anyio

from rafa_async.llm import LLM, ChatRequest, ChatResponse
from rafa_async.planners._asking import ask, value_sample
from rafa_async.planners._base import (
    Alternative,
    Plan,
    PlanStats,
    Proposal,
    S,
    ValueSample,
    WorldModel,
    best_alternatives,
)

T = TypeVar("T")


@dataclass(slots=True)
class _Node(Generic[S]):
    state: S
    path: tuple[Proposal[S], ...] = ()
    value: float = 0.0
    samples: list[ValueSample] = field(default_factory=list)
    trail: tuple[list[ValueSample], ...] = ()
    """The evaluation samples of each state along ``path`` (the last: this node's)."""


@dataclass(slots=True)
class _Progress(Generic[S]):
    best: _Node[S] | None = None
    last_level: list[_Node[S]] = field(default_factory=list)
    """The last level's evaluated states: the candidates the plan beat."""
    calls: int = 0
    failed: int = 0
    levels: int = 0
    evaluated: int = 0


class BeamPlanner(Generic[S]):
    """Expand the best ``beam`` nodes a level at a time.

    At each level every frontier node gets ``n_generate`` proposal samples and
    every distinct resulting state gets ``n_evaluate`` value samples (summed);
    the ``beam`` best states form the next frontier.  All proposal calls of a
    level run concurrently, then all evaluation calls of the level -- so the
    critical path is ``2 x levels`` LLM calls, whatever the fan-out (bounded
    only by the LLM's concurrency limiter).

    ``depth`` caps the levels (None: until states are terminal).  With a
    ``deadline`` (seconds) the search is *anytime*: when it expires the plan
    toward the best state evaluated so far is returned with ``complete=False``.
    """

    def __init__(
        self,
        llm: LLM,
        world: WorldModel[S],
        *,
        n_generate: int = 10,
        n_evaluate: int = 3,
        beam: int = 1,
        depth: int | None = None,
        deadline: float | None = None,
    ) -> None:
        for name, value in (("n_generate", n_generate), ("n_evaluate", n_evaluate), ("beam", beam)):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        self.llm = llm
        self.world = world
        self.n_generate = n_generate
        self.n_evaluate = n_evaluate
        self.beam = beam
        self.depth = depth
        self.deadline = deadline

    async def plan(self, state: S, memory: Sequence[str], *, salt: int = 0) -> Plan[S]:
        progress: _Progress[S] = _Progress()
        memory = tuple(memory)
        with anyio.move_on_after(math.inf if self.deadline is None else self.deadline) as scope:
            await self._search(state, memory, salt, progress)
        best = progress.best
        stats = PlanStats(progress.calls, progress.failed, progress.levels, progress.evaluated)
        if best is None:
            return Plan((), 0.0, not scope.cancelled_caught, stats)
        evidence = tuple(tuple(samples) for samples in best.trail)
        alternatives = best_alternatives(
            [Alternative(tuple(p.action for p in n.path), n.value) for n in progress.last_level]
        )
        return Plan(
            best.path, best.value, not scope.cancelled_caught, stats, evidence, alternatives
        )

    async def _search(
        self, root: S, memory: tuple[str, ...], salt: int, progress: _Progress[S]
    ) -> None:
        frontier = [_Node(root)]
        level = 0
        while self.depth is None or level < self.depth:
            open_nodes = [n for n in frontier if not self.world.is_terminal(n.state)]
            if not open_nodes:
                return
            children = await self._expand(open_nodes, memory, salt, progress)
            if not children:
                return
            if progress.best is None:
                # Something to act on even if the deadline strikes mid-evaluation.
                progress.best = children[0]
            await self._evaluate(children, memory, salt, progress)
            children.sort(key=lambda n: n.value, reverse=True)
            progress.last_level = children
            frontier = children[: self.beam]
            progress.best = frontier[0]
            level += 1
            progress.levels = level

    async def _ask(
        self,
        request: ChatRequest,
        parse: Callable[[ChatResponse], T],
        progress: _Progress[S],
    ) -> T | None:
        return await ask(self.llm, request, parse, progress)

    def _value_sample(self, response: ChatResponse) -> ValueSample:
        return value_sample(self.world, response)

    async def _expand(
        self,
        frontier: list[_Node[S]],
        memory: tuple[str, ...],
        salt: int,
        progress: _Progress[S],
    ) -> list[_Node[S]]:
        slots: list[Proposal[S] | None] = [None] * (len(frontier) * self.n_generate)

        async def propose(i: int, node: _Node[S], sample: int) -> None:
            request = self.world.propose_request(node.state, memory, sample)
            parse = partial(self.world.parse_proposal, node.state)
            slots[i] = await self._ask(request, lambda response: parse(response.text), progress)

        async with anyio.create_task_group() as tg:
            for n, node in enumerate(frontier):
                for k in range(self.n_generate):
                    i = n * self.n_generate + k
                    tg.start_soon(propose, i, node, salt * 1000 + k)

        children: dict[str, _Node[S]] = {}
        for i, proposal in enumerate(slots):
            if proposal is None:
                continue
            key = self.world.key(proposal.predicted)
            if key not in children:
                parent = frontier[i // self.n_generate]
                child = _Node(proposal.predicted, (*parent.path, proposal))
                child.trail = (*parent.trail, child.samples)
                children[key] = child
        return list(children.values())

    async def _evaluate(
        self,
        nodes: list[_Node[S]],
        memory: tuple[str, ...],
        salt: int,
        progress: _Progress[S],
    ) -> None:
        async def evaluate(node: _Node[S], sample: int) -> None:
            request = self.world.evaluate_request(node.state, memory, sample)
            sample_value = await self._ask(request, self._value_sample, progress)
            if sample_value is None:
                return
            node.samples.append(sample_value)
            # fsum is exactly rounded, so the total does not depend on the
            # order in which concurrent evaluations finished (ties stay ties).
            node.value = math.fsum(s.value for s in node.samples)
            progress.evaluated += 1

        async with anyio.create_task_group() as tg:
            for node in nodes:
                for j in range(self.n_evaluate):
                    tg.start_soon(evaluate, node, salt * 1000 + j)
