"""Model-predictive look-ahead against an opponent model (RAFA's Tic-Tac-Toe planner).

For the player to move: propose candidate moves (the LLM as actor), predict
the opponent's reply to each (the LLM as opponent model -- this is where
memory of the opponent's past moves enters), evaluate the position reached
(the LLM as critic), and keep the candidate with the best value.  The three
stages run one after another; within a stage all calls run concurrently, so
the critical path is three LLM calls whatever the number of candidates.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic

import anyio

from rafa_async._errors import LLMError
from rafa_async.llm import LLM, ChatRequest
from rafa_async.planners._base import Alternative, Plan, PlanStats, Proposal, S, best_alternatives
from rafa_async.scenarios import GameModel


@dataclass(slots=True)
class _Line(Generic[S]):
    move: Proposal[S]
    reply: Proposal[S] | None = None
    value: float = -math.inf
    samples: list[float] = field(default_factory=list)

    @property
    def steps(self) -> tuple[Proposal[S], ...]:
        return (self.move,) if self.reply is None else (self.move, self.reply)

    @property
    def end(self) -> S:
        return self.move.predicted if self.reply is None else self.reply.predicted


class MPCPlanner(Generic[S]):
    """Propose ``n_candidates`` moves, predict replies, evaluate, keep the best.

    Returns a :class:`Plan` whose steps are ``[my move, predicted reply]``
    (just ``[my move]`` when it ends the game); ``value`` is the chosen line's
    value to the planning player.  With ``deadline`` the plan is anytime: the
    best line found so far (or the first proposal) with ``complete=False``.
    """

    def __init__(
        self,
        llm: LLM,
        model: GameModel[S],
        *,
        n_candidates: int = 3,
        n_evaluate: int = 1,
        deadline: float | None = None,
    ) -> None:
        if n_candidates < 1 or n_evaluate < 1:
            raise ValueError("n_candidates and n_evaluate must be >= 1")
        self.llm = llm
        self.model = model
        self.n_candidates = n_candidates
        self.n_evaluate = n_evaluate
        self.deadline = deadline

    async def plan(self, state: S, memory: Sequence[str], *, player: str, salt: int = 0) -> Plan[S]:
        """Plan ``player``'s move in ``state``.  Cancellable at any await."""
        if self.model.is_terminal(state):
            return Plan((), 0.0)
        memory = tuple(memory)
        lines: list[_Line[S]] = []
        stats = {"calls": 0, "failed": 0}
        with anyio.move_on_after(math.inf if self.deadline is None else self.deadline) as scope:
            await self._search(state, memory, salt, player, lines, stats)
        best = max(lines, key=lambda line: line.value, default=None)
        plan_stats = PlanStats(stats["calls"], stats["failed"], 1, len(lines))
        if best is None:
            return Plan((), 0.0, not scope.cancelled_caught, plan_stats)
        value = best.value if best.value > -math.inf else 0.0
        weighed = [line for line in lines if line.value > -math.inf]
        alternatives = best_alternatives(
            [Alternative(tuple(s.action for s in line.steps), line.value) for line in weighed]
        )
        return Plan(best.steps, value, not scope.cancelled_caught, plan_stats, (), alternatives)

    async def predict(
        self, state: S, memory: Sequence[str], *, salt: int = 0
    ) -> Proposal[S] | None:
        """The opponent model alone: the reply expected in ``state`` (None if
        the model's answer was unusable).  Used for speculative planning."""
        text = await self._ask(
            self.model.predict_request(state, tuple(memory), salt), {"calls": 0, "failed": 0}
        )
        if text is None:
            return None
        try:
            return self.model.parse_reply(state, text)
        except LLMError:
            return None

    async def _ask(self, request: ChatRequest, stats: dict[str, int]) -> str | None:
        stats["calls"] += 1
        try:
            return (await self.llm.complete(request)).text
        except LLMError:
            stats["failed"] += 1
            return None

    async def _search(
        self,
        state: S,
        memory: tuple[str, ...],
        salt: int,
        player: str,
        lines: list[_Line[S]],
        stats: dict[str, int],
    ) -> None:
        model = self.model
        texts: list[str | None] = [None] * self.n_candidates

        async def propose(k: int) -> None:
            request = model.propose_request(state, memory, salt * 1000 + k)
            texts[k] = await self._ask(request, stats)

        async with anyio.create_task_group() as tg:
            for k in range(self.n_candidates):
                tg.start_soon(propose, k)
        seen: set[str] = set()
        for text in texts:
            if text is None:
                continue
            try:
                move = model.parse_move(state, text)
            except LLMError:
                stats["failed"] += 1
                continue
            if move.action not in seen:
                seen.add(move.action)
                lines.append(_Line(move))
        if not lines:
            return

        async def predict(line: _Line[S], sample: int) -> None:
            text = await self._ask(
                model.predict_request(line.move.predicted, memory, sample), stats
            )
            if text is None:
                return
            try:
                line.reply = model.parse_reply(line.move.predicted, text)
            except LLMError:
                stats["failed"] += 1

        async with anyio.create_task_group() as tg:
            for line in lines:
                if model.is_terminal(line.move.predicted):
                    line.value = model.outcome(line.move.predicted, player)
                else:
                    tg.start_soon(predict, line, salt)

        async def evaluate(line: _Line[S], sample: int) -> None:
            request = model.evaluate_request(line.end, memory, sample, player)
            text = await self._ask(request, stats)
            if text is None:
                return
            try:
                line.samples.append(model.parse_value(text))
            except LLMError:
                stats["failed"] += 1
                return
            line.value = math.fsum(line.samples) / len(line.samples)

        async with anyio.create_task_group() as tg:
            for line in lines:
                if line.value > -math.inf:
                    continue  # decided by the rules already
                if model.is_terminal(line.end):
                    line.value = model.outcome(line.end, player)
                    continue
                for j in range(self.n_evaluate):
                    tg.start_soon(evaluate, line, salt * 1000 + j)
