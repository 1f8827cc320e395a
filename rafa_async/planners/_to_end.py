"""Search to the end of the game with learned models: RAFA's Tic-Tac-Toe planner, as in the paper.

The paper's code (``agentification/RAFA_code``, ``Tic-Tac-Toe/agent.py``,
``MPCAgent.mcts``) plans a move by a depth-first search to the end of the
game, every step of it answered by the LLM:

* the actor proposes ``B`` moves for the planning player;
* for each, the *dynamics* model predicts the board, the *winner* model
  says whether the game is over; if not, the *opponent* model predicts the
  one reply, dynamics and winner again, and the search recurses;
* a node's value is its best child's (1 win, 0 draw, -1 loss, for the
  planner), and the move that reaches it is the node's plan;
* values are memoised by board, and the memo is dropped whenever one of the
  models learns (on a misprediction): :meth:`invalidate`.

No value oracle is asked: a line is scored only where the learned winner
model ends it.  Differences from the paper's loop, and why: the ``B``
children of a node are searched concurrently (the critical path is the
depth, not the tree), so the paper's cut-off at the first winning child
cannot apply -- a node costs all its children, and among equal values the
first proposal wins (deterministic whatever the timing); a board the rules
say is over but the winner model did not call ends the line as a draw
(there is nothing left to propose); and ``max_depth`` can bound the search
to that many of the planner's moves (``None``: to the end, as the paper).

Cost: a node makes ``B`` proposal calls and, per distinct proposal, up to 5
model calls (dynamics, winner, reply, dynamics, winner); the tree has at most
``B^d`` leaves for ``d`` own moves left (4 for O's first move, so up to
``6*B*(1+B+B^2+B^3)`` calls: ~470 for B=3, ~4,700 for B=5), far fewer in
practice as proposals repeat, wins end lines early and the memo answers
repeated boards -- across moves and across games, until a model learns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

import anyio

from rafa_async._errors import LLMError
from rafa_async.llm import LLM, ChatRequest
from rafa_async.planners._base import Plan, PlanStats, Proposal

S = TypeVar("S")
T = TypeVar("T")


class LearnedGameModel(Protocol[S]):
    """The models the planner asks, each an LLM call (a scenario's world model)."""

    def key(self, state: S) -> str: ...

    def opponent(self, player: str) -> str: ...

    def is_terminal(self, state: S) -> bool:
        """Whether the rules leave no move in ``state`` (a guard only: the
        planner ends lines by the winner model)."""
        ...

    def propose_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest: ...

    def parse_move(self, state: S, text: str) -> Proposal[S]: ...

    def predict_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest: ...

    def parse_reply(self, state: S, text: str) -> Proposal[S]: ...

    def transition_request(
        self, state: S, player: str, move: str, memory: Sequence[str], sample: int
    ) -> ChatRequest: ...

    def parse_transition(self, text: str) -> S: ...

    def winner_request(self, state: S, memory: Sequence[str], sample: int) -> ChatRequest: ...

    def parse_winner(self, text: str) -> str:
        """A player's name (that player won), ``"draw"`` or ``"none"`` (goes on)."""
        ...


@dataclass(frozen=True, slots=True)
class Step(Generic[S]):
    """A move with the board the dynamics model predicted for it."""

    action: str
    predicted: S


@dataclass(slots=True)
class _Counts:
    calls: int = 0
    failed: int = 0
    nodes: int = 0
    hits: int = 0


@dataclass(frozen=True, slots=True)
class _Node(Generic[S]):
    value: float
    step: Step[S] | None


class SearchToEndPlanner(Generic[S]):
    """Depth-first search to the game's end with ``b`` proposals per node (see
    the module docstring).  One planner serves one player: its memo holds
    that player's values, kept across moves and games until :meth:`invalidate`."""

    def __init__(
        self, llm: LLM, model: LearnedGameModel[S], *, b: int = 3, max_depth: int | None = None
    ) -> None:
        if b < 1:
            raise ValueError(f"b (proposals per node) must be >= 1, got {b}")
        if max_depth is not None and max_depth < 1:
            raise ValueError(f"max_depth must be >= 1 or None, got {max_depth}")
        self.llm = llm
        self.model = model
        self.b = b
        self.max_depth = max_depth
        self.memo: dict[str, _Node[S]] = {}
        self.invalidations = 0

    def invalidate(self) -> None:
        """Forget every memoised plan: a model learnt, so they may be wrong."""
        self.memo.clear()
        self.invalidations += 1

    def copy(self) -> SearchToEndPlanner[S]:
        """A planner with the same models and a copy of the memo (for a game
        that must not change this one's, e.g. an evaluation game)."""
        twin = SearchToEndPlanner(self.llm, self.model, b=self.b, max_depth=self.max_depth)
        twin.memo = dict(self.memo)
        return twin

    async def plan(self, state: S, memory: Sequence[str], *, player: str, salt: int = 0) -> Plan[S]:
        """``player``'s move in ``state``: a one-step plan (empty if no usable
        proposal came back).  Cancellable at any await (its calls with it)."""
        counts = _Counts()
        node = await self._node(state, tuple(memory), player, salt, 1, counts)
        stats = PlanStats(counts.calls, counts.failed, counts.nodes, counts.hits)
        steps = () if node.step is None else (node.step,)
        return Plan(steps, node.value, True, stats)

    async def predict(
        self, state: S, memory: Sequence[str], *, salt: int = 0
    ) -> Proposal[S] | None:
        """The opponent model alone: its reply in ``state`` (None if unusable)."""
        request = self.model.predict_request(state, tuple(memory), salt)
        text = await self._ask(request, _Counts())
        return None if text is None else self._parse(self.model.parse_reply, state, text)

    async def transition(
        self, state: S, player: str, move: str, memory: Sequence[str], *, salt: int = 0
    ) -> S | None:
        """The dynamics model alone: the board after the move (None if unusable)."""
        request = self.model.transition_request(state, player, move, tuple(memory), salt)
        text = await self._ask(request, _Counts())
        return None if text is None else self._read(self.model.parse_transition, text)

    async def winner(self, state: S, memory: Sequence[str], *, salt: int = 0) -> str | None:
        """The winner model alone: its verdict on ``state`` (None if unusable)."""
        text = await self._ask(self.model.winner_request(state, tuple(memory), salt), _Counts())
        return None if text is None else self._read(self.model.parse_winner, text)

    # -- the search --------------------------------------------------------------------

    async def _node(
        self,
        state: S,
        memory: tuple[str, ...],
        player: str,
        salt: int,
        depth: int,
        counts: _Counts,
    ) -> _Node[S]:
        key = self.model.key(state)
        cached = self.memo.get(key)
        if cached is not None:
            counts.hits += 1
            return cached
        counts.nodes += 1
        moves = await self._proposals(state, memory, salt, counts)
        values: list[float | None] = [None] * len(moves)
        steps: list[Step[S] | None] = [None] * len(moves)

        async def child(i: int, move: str) -> None:
            steps[i], values[i] = await self._line(state, move, memory, player, salt, depth, counts)

        async with anyio.create_task_group() as tg:
            for i, move in enumerate(moves):
                tg.start_soon(child, i, move)
        best: _Node[S] | None = None
        for value, step in zip(values, steps, strict=True):
            if value is not None and (best is None or value > best.value):
                best = _Node(value, step)  # the first proposal among equals
        if best is None:
            return _Node(0.0, None)  # not memoised: nothing usable came back
        self.memo[key] = best
        return best

    async def _line(
        self,
        state: S,
        move: str,
        memory: tuple[str, ...],
        player: str,
        salt: int,
        depth: int,
        counts: _Counts,
    ) -> tuple[Step[S] | None, float | None]:
        """One proposal's line: my move, the reply, and the search below;
        ``(step, value)``, value None if a model's answer was unusable."""
        mine = await self._apply(state, player, move, memory, salt, counts)
        if mine is None:
            return None, None
        step = Step(move, mine)
        done = await self._verdict(mine, memory, player, salt, counts)
        if done is not None:
            return step, done
        reply = await self._ask(self.model.predict_request(mine, memory, salt), counts)
        proposal = None if reply is None else self._parse(self.model.parse_reply, mine, reply)
        if proposal is None:
            return step, None
        other = self.model.opponent(player)
        theirs = await self._apply(mine, other, proposal.action, memory, salt, counts)
        if theirs is None:
            return step, None
        done = await self._verdict(theirs, memory, player, salt, counts)
        if done is not None:
            return step, done
        if self.max_depth is not None and depth >= self.max_depth:
            return step, 0.0  # the horizon: unknown, counted as a draw
        below = await self._node(theirs, memory, player, salt, depth + 1, counts)
        return step, below.value if below.step is not None else None

    async def _proposals(
        self, state: S, memory: tuple[str, ...], salt: int, counts: _Counts
    ) -> list[str]:
        texts: list[str | None] = [None] * self.b

        async def propose(k: int) -> None:
            request = self.model.propose_request(state, memory, salt * 1000 + k)
            texts[k] = await self._ask(request, counts)

        async with anyio.create_task_group() as tg:
            for k in range(self.b):
                tg.start_soon(propose, k)
        moves: list[str] = []
        for text in texts:
            move = None if text is None else self._parse(self.model.parse_move, state, text)
            if move is None:
                counts.failed += text is not None
                continue
            if move.action not in moves:
                moves.append(move.action)
        return moves

    async def _apply(
        self,
        state: S,
        player: str,
        move: str,
        memory: tuple[str, ...],
        salt: int,
        counts: _Counts,
    ) -> S | None:
        request = self.model.transition_request(state, player, move, memory, salt)
        text = await self._ask(request, counts)
        return None if text is None else self._read(self.model.parse_transition, text, counts)

    async def _verdict(
        self, state: S, memory: tuple[str, ...], player: str, salt: int, counts: _Counts
    ) -> float | None:
        """The line's value if the winner model ends the game here, else None
        (also when the rules leave no move: a draw, see the module docstring)."""
        text = await self._ask(self.model.winner_request(state, memory, salt), counts)
        verdict = None if text is None else self._read(self.model.parse_winner, text, counts)
        if verdict == "draw":
            return 0.0
        if verdict not in (None, "none"):
            return 1.0 if verdict == player else -1.0
        return 0.0 if self.model.is_terminal(state) else None

    async def _ask(self, request: ChatRequest, counts: _Counts) -> str | None:
        counts.calls += 1
        try:
            return (await self.llm.complete(request)).text
        except LLMError:
            counts.failed += 1
            return None

    @staticmethod
    def _parse(parse: Callable[[S, str], T], state: S, text: str) -> T | None:
        try:
            return parse(state, text)
        except LLMError:
            return None

    @staticmethod
    def _read(parse: Callable[[str], T], text: str, counts: _Counts | None = None) -> T | None:
        try:
            return parse(text)
        except LLMError:
            if counts is not None:
                counts.failed += 1
            return None
