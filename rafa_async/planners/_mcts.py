"""Monte Carlo tree search over an LLM world model (RAP style), with
concurrent simulations and virtual loss."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic

import anyio

from rafa_async.llm import LLM, ChatResponse
from rafa_async.planners._asking import ask, value_sample
from rafa_async.planners._base import (
    MAX_ALTERNATIVES,
    Alternative,
    Plan,
    PlanStats,
    Proposal,
    S,
    ValueSample,
    WorldModel,
)
from rafa_async.planners._mcts_tree import Node, Turns

UNSEEN_SCALE = 0.5
"""A reward's scaled value while every reward seen is the same."""


@dataclass(slots=True)
class _Search(Generic[S]):
    root: Node[S]
    memory: tuple[str, ...]
    salt: int
    turns: Turns[S] = field(default_factory=Turns)
    calls: int = 0
    failed: int = 0
    evaluated: int = 0
    depth: int = 0


class MCTSPlanner(Generic[S]):
    """UCT search whose tree is grown by the LLM (as RAP, Hao et al. 2023).

    A *simulation* walks down from the root: at each node not yet expanded
    it asks for ``n_generate`` proposals (the LLM as actor and, through the
    state each proposal predicts, as world model -- with the memory lines in
    the prompt, so observed transitions correct it), keeps one child per
    distinct predicted state (none that revisits a state on its own path),
    and evaluates each child ``n_evaluate`` times (summed: the child's
    prior).  It then chooses a child by UCT -- unvisited children first, best
    prior first -- and goes on until a terminal state (``world.is_terminal``),
    ``depth``, or a node with no usable proposal.  The value of the state it
    ends in is its reward, backed up along its path.  The first simulation
    is thus a greedy rollout; later ones branch off where UCT says.

    ``concurrency`` simulations run at once.  Each counts as ``virtual_loss``
    visits of the worst reward on the branch it took until it finishes, so
    the others explore elsewhere (0: no virtual loss -- they pile onto the
    same branch).  UCT's rewards are scaled to [0, 1] by the range seen, so
    ``c`` does not depend on the scenario's value scale.

    *Determinism.*  A simulation sees exactly the rewards of the simulations
    ``concurrency`` or more before it, and the virtual loss of the ones in
    between, and at every node they choose in index order (see
    :mod:`~rafa_async.planners._mcts_tree`).  So for a given salt the plan
    does not depend on the order the LLM's answers arrive in: with answers
    that depend only on the request (the sim) it is repeatable at any
    concurrency, and ``concurrency=1`` is plain sequential MCTS.  What does
    depend on timing: where a ``deadline`` (or a cancellation) cuts the
    search, and with a real provider its answers.

    *Anytime.*  The search stops after ``simulations``, or once the
    simulations ``concurrency`` or more back have made ``llm_budget`` calls
    (so the calls may exceed it by what the ones still running make), or
    after ``deadline`` seconds: then the best trajectory so far is returned
    with ``complete=False``.  The trajectory follows the most visited child
    (ties: the higher mean reward, then the higher prior) down the tree.
    """

    def __init__(
        self,
        llm: LLM,
        world: WorldModel[S],
        *,
        simulations: int = 32,
        concurrency: int = 4,
        c: float = 1.0,
        n_generate: int = 5,
        n_evaluate: int = 3,
        virtual_loss: float = 1.0,
        depth: int | None = None,
        llm_budget: int | None = None,
        deadline: float | None = None,
    ) -> None:
        for name, value in (
            ("simulations", simulations),
            ("concurrency", concurrency),
            ("n_generate", n_generate),
            ("n_evaluate", n_evaluate),
        ):
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        for name, limit in (("depth", depth), ("llm_budget", llm_budget)):
            if limit is not None and limit < 1:
                raise ValueError(f"{name} must be >= 1 (or None: no limit), got {limit}")
        if not (math.isfinite(c) and c >= 0):
            raise ValueError(f"c must be a number >= 0, got {c}")
        if not (math.isfinite(virtual_loss) and virtual_loss >= 0):
            raise ValueError(f"virtual_loss must be a number >= 0, got {virtual_loss}")
        self.llm = llm
        self.world = world
        self.simulations = simulations
        self.concurrency = concurrency
        self.c = c
        self.n_generate = n_generate
        self.n_evaluate = n_evaluate
        self.virtual_loss = virtual_loss
        self.depth = depth
        self.llm_budget = llm_budget
        self.deadline = deadline

    async def plan(self, state: S, memory: Sequence[str], *, salt: int = 0) -> Plan[S]:
        """Search from ``state`` with ``memory`` in every prompt; ``salt``
        draws fresh samples for a repeat plan.  Cancelling the caller's scope
        cancels every simulation and LLM call in flight at once (the deadline
        is such a scope, caught here)."""
        search = _Search(Node(state), tuple(memory), salt)
        with anyio.move_on_after(math.inf if self.deadline is None else self.deadline) as scope:
            await self._run(search)
        return self._best(search, complete=not scope.cancelled_caught)

    async def _run(self, search: _Search[S]) -> None:
        turns, k = search.turns, self.concurrency
        async with anyio.create_task_group() as tg:
            for i in range(self.simulations):
                await turns.window_open(i, k)
                if self.llm_budget is not None and turns.calls_before(i, k) >= self.llm_budget:
                    break
                turns.start(i, search.root)
                tg.start_soon(self._simulate, i, search)

    def _is_leaf(self, node: Node[S]) -> bool:
        return self.world.is_terminal(node.state) or (
            self.depth is not None and node.depth >= self.depth
        )

    async def _simulate(self, i: int, search: _Search[S]) -> None:
        node = search.root
        while not self._is_leaf(node):
            children = await self._children(i, node, search)
            if not children:
                break
            await search.turns.my_turn(i, node)
            node = self._choose(i, children, search)
            node.passes.append(i)
            search.turns.move(i, node)
        for passed in node.path():
            passed.rewards[i] = node.value
        search.turns.finish(i, node.value)

    async def _children(self, i: int, node: Node[S], search: _Search[S]) -> list[Node[S]]:
        """``node``'s children: expanded by the first simulation to get there
        (the lowest index, by the turn order), awaited by the others."""
        if node.expanded is None:
            node.expanded = anyio.Event()
            node.children = await self._expand(i, node, search)
            node.expanded.set()
        else:
            await node.expanded.wait()
        return node.children or []

    async def _expand(self, i: int, node: Node[S], search: _Search[S]) -> list[Node[S]]:
        proposals: list[Proposal[S] | None] = [None] * self.n_generate

        async def propose(k: int) -> None:
            request = self.world.propose_request(node.state, search.memory, search.salt * 1000 + k)
            proposals[k] = await ask(
                self.llm,
                request,
                lambda response: self.world.parse_proposal(node.state, response.text),
                search,
            )

        async with anyio.create_task_group() as tg:
            for k in range(self.n_generate):
                tg.start_soon(propose, k)
        seen = {self.world.key(n.state) for n in node.path()}
        children: list[Node[S]] = []
        for proposal in proposals:
            if proposal is None or self.world.key(proposal.predicted) in seen:
                continue
            seen.add(self.world.key(proposal.predicted))
            children.append(Node(proposal.predicted, node, proposal, node.depth + 1))
        await self._evaluate(children, search)
        search.turns.calls[i] += self.n_generate + self.n_evaluate * len(children)
        search.depth = max(search.depth, node.depth + (1 if children else 0))
        return children

    async def _evaluate(self, nodes: list[Node[S]], search: _Search[S]) -> None:
        slots: list[list[ValueSample | None]] = [[None] * self.n_evaluate for _ in nodes]

        def sample(response: ChatResponse) -> ValueSample:
            return value_sample(self.world, response)

        async def evaluate(n: int, j: int) -> None:
            request = self.world.evaluate_request(
                nodes[n].state, search.memory, search.salt * 1000 + j
            )
            slots[n][j] = await ask(self.llm, request, sample, search)

        async with anyio.create_task_group() as tg:
            for n in range(len(nodes)):
                for j in range(self.n_evaluate):
                    tg.start_soon(evaluate, n, j)
        for node, samples in zip(nodes, slots, strict=True):
            node.samples = [s for s in samples if s is not None]
            node.value = math.fsum(s.value for s in node.samples)
            search.evaluated += len(node.samples)

    def _choose(self, i: int, children: list[Node[S]], search: _Search[S]) -> Node[S]:
        """UCT with virtual loss, as simulation ``i`` sees the tree.  A child
        no simulation has been through is worth its prior (as in RAP), one
        only running simulations are in is worth the worst reward."""
        k = self.concurrency
        low, high = search.turns.reward_range(i, k)
        low = min([low, *(child.value for child in children)])
        high = max([high, *(child.value for child in children)])

        def scaled(reward: float) -> float:
            return (reward - low) / (high - low) if high > low else UNSEEN_SCALE

        visits: list[float] = []
        means: list[float] = []
        for child in children:
            finished = [scaled(r) for j, r in sorted(child.rewards.items()) if j <= i - k]
            running = sum(1 for j in child.passes if i - k < j < i)
            n = len(finished) + self.virtual_loss * running
            visits.append(n)
            means.append(math.fsum(finished) / n if n else scaled(child.value))
        parent = max(1.0, math.fsum(visits))

        def score(n: int) -> tuple[float, float, float, int]:
            explore = self.c * math.sqrt(math.log(parent) / max(1.0, visits[n]))
            return (means[n] + explore, -visits[n], children[n].value, -n)

        return children[max(range(len(children)), key=score)]

    def _best(self, search: _Search[S], *, complete: bool) -> Plan[S]:
        ranked = _ranked(search.root.children or [])
        lines = [[child, *_descend(child)] for child in ranked[:MAX_ALTERNATIVES]]
        path = lines[0] if lines else []
        steps = [n.proposal for n in path if n.proposal is not None]
        evidence = [tuple(n.samples) for n in path]
        node = path[-1] if path else search.root
        alternatives = tuple(
            Alternative(
                tuple(n.proposal.action for n in line if n.proposal is not None), line[-1].value
            )
            for line in lines
        )
        stats = PlanStats(
            search.calls,
            search.failed,
            search.depth,
            search.evaluated,
            simulations=len(search.turns.rewards),
        )
        value = node.value if steps else 0.0
        return Plan(tuple(steps), value, complete, stats, tuple(evidence), alternatives)


def _ranked(options: list[Node[S]]) -> list[Node[S]]:
    """``options`` best first: the most visited (ties: the higher mean
    reward, then the higher prior, then the earlier proposal)."""
    order = sorted(
        range(len(options)),
        key=lambda n: (len(options[n].rewards), options[n].mean_reward(), options[n].value, -n),
        reverse=True,
    )
    return [options[n] for n in order]


def _descend(node: Node[S]) -> list[Node[S]]:
    """The best line below ``node`` (each step: the best child, :func:`_ranked`)."""
    line: list[Node[S]] = []
    while node.children:
        node = _ranked(node.children)[0]
        line.append(node)
    return line
