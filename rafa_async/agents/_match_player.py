"""RAFA in a shared match: plan asynchronously, cancel stale plans, speculate.

:class:`RafaPlayer` is a :class:`~rafa_async.ReactivePlayer`: the host
calls its ``on_event`` inline for each event of the match (no inbox, no task
switch per event), and its one long-lived task runs the plans that queues,
at most one in flight, each in its own cancel scope:

* ``TurnStarted`` for this player: reuse the plan in flight if it is rooted
  in exactly this state (a speculation hit), else cancel it and plan anew;
  the plan's first move is submitted the moment it is ready.
* ``MatchTransition``: store the feedback (learning), then cancel the plan in
  flight if the new state is not the one it is rooted in (stale).
  With ``speculate=True``, when the opponent is to move, predict its reply
  and start planning from the predicted state at once.
* ``MatchEnded``: cancel whatever runs and return.

Cancelling a plan cancels its LLM calls at their next await (they are
accounted as cancelled by the middleware) and emits ``PlanCancelled``.

When feedback is learnt: the feedback of a transition enters memory with the
player's *own* next transition (in simultaneous and real-time games that is
every transition; in turn-based games the opponent's move is learnt when the
player moves next).  So the plan for a move always sees the same memory --
whether it was made speculatively or after the fact -- and speculation
changes when a decision is ready, never what it is: logs replay exactly.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol

import anyio
import anyio.lowlevel

from rafa_async._events import (
    Event,
    EventRecorder,
    MatchEnded,
    MatchStarted,
    MatchTransition,
    PlanCancelled,
    PlanStarted,
    TurnStarted,
)
from rafa_async._match import Seat
from rafa_async.agents._memory import Memory
from rafa_async.llm import LLM
from rafa_async.planners import ActorModel, GreedyPlanner, Plan, Proposal
from rafa_async.planners._base import S, plan_completed


def stable_salt(key: str) -> int:
    """A sample offset derived from a state's text, the same in every process."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big")


class GamePlanner(Protocol[S]):
    async def plan(
        self, state: S, memory: Sequence[str], *, player: str, salt: int = 0
    ) -> Plan[S]: ...


class OpponentModel(Protocol[S]):
    async def predict(
        self, state: S, memory: Sequence[str], *, salt: int = 0
    ) -> Proposal[S] | None:
        """The opponent's most likely reply in ``state`` (None if unknown)."""
        ...


@dataclass(slots=True)
class PlayerStats:
    plans: int = 0
    completed: int = 0
    cancelled: int = 0
    speculative: int = 0
    hits: int = 0
    misses: int = 0
    fallbacks: int = 0
    cancel_latencies: list[float] = field(default_factory=list)
    """Per cancelled plan: the transition that made it stale -> all its tasks exited."""
    unwind_latencies: list[float] = field(default_factory=list)
    """Per cancelled plan: ``cancel()`` called -> all its tasks exited."""
    replan_latencies: list[float] = field(default_factory=list)
    """Per plan for a turn: the TurnStarted event -> the player dispatched a new
    plan (stale one cancelled, request queued to its planning task)."""
    plan_start_latencies: list[float] = field(default_factory=list)
    """Per plan for a turn: the TurnStarted event -> its planner began running."""

    @property
    def hit_rate(self) -> float:
        tried = self.hits + self.misses
        return self.hits / tried if tried else 0.0


@dataclass(slots=True, eq=False)  # identity semantics: kept in a set while unwinding
class _InFlight(Generic[S]):
    plan_id: int
    root: str | None
    speculative: bool
    scope: anyio.CancelScope | None = None  # made when the worker starts the plan
    cancelled: bool = False
    turn: int | None = None
    result: Plan[S] | None = None
    cancel_reason: str = ""
    cancelled_at: float | None = None
    cancel_called_at: float | None = None
    triggered_at: float | None = None
    state: Any = None


class RafaPlayer(Generic[S]):
    """RAFA as a match player (see the module docstring).

    ``memory`` persists across matches when the same player object plays
    several (training then evaluation episodes, as in the paper).
    """

    def __init__(
        self,
        planner: GamePlanner[S],
        *,
        opponent_model: OpponentModel[S] | None = None,
        speculate: bool = False,
        memory: Memory | None = None,
        recorder: EventRecorder | None = None,
        name: str = "rafa",
    ) -> None:
        if speculate and opponent_model is None:
            raise ValueError("speculate=True needs an opponent_model to predict replies")
        self.planner = planner
        self.opponent_model = opponent_model
        self.speculate = speculate
        self.memory = memory if memory is not None else Memory()
        self.recorder = recorder if recorder is not None else EventRecorder()
        self.name = name
        self.stats = PlayerStats()
        self._ids = itertools.count()
        self._inflight: _InFlight[S] | None = None
        self._heard = _Heard(self.memory)
        self._requests: deque[_InFlight[S]] = deque()
        self._wakeup = _Wakeup()
        self._ended = False

    def on_event(self, seat: Seat[Any], topic: str, event: Event) -> None:
        """Called inline by the match host for each event of the match (this
        is a :class:`~rafa_async.ReactivePlayer`): learn, cancel a stale
        plan, queue a new one for the worker.  Never blocks."""
        if isinstance(event, MatchTransition):
            self._heard.hear(event, seat.player)
            self._invalidate(event.state, "stale: the state changed", since=event.ts)
            if (
                self.speculate
                and not event.done
                and self._inflight is None
                and seat.player not in seat.match.game.to_move(seat.state)
            ):
                self._start(seat.state, root=None, speculative=True)
        elif isinstance(event, TurnStarted):
            if seat.called(event):
                self._on_turn(seat, event)
        elif isinstance(event, MatchStarted):
            self._requests.clear()
            self._inflight = None
            self._ended = False
        elif isinstance(event, MatchEnded):
            self._heard.commit()
            self._invalidate(None, "match ended")
            self._ended = True
            self._wakeup.set()

    async def play(self, seat: Seat[Any]) -> None:
        """The player's one task: runs the plans :meth:`on_event` queues,
        until the match ends (or the match cancels it)."""
        await self._worker(seat)

    # -- plan bookkeeping ----------------------------------------------------------

    def _invalidate(self, state: str | None, reason: str, *, since: float | None = None) -> None:
        inflight = self._inflight
        if inflight is None or (state is not None and inflight.root == state):
            return
        if inflight.speculative and inflight.root is None and state is not None:
            return  # still predicting the reply that leads to this new state
        if inflight.speculative:
            self.stats.misses += 1
        self._cancel(inflight, reason, since=since)

    def _cancel(self, inflight: _InFlight[S], reason: str, *, since: float | None = None) -> None:
        """Cancel a plan; ``since`` is when it went stale (the transition's
        timestamp), from which ``stats.cancel_latencies`` are measured."""
        inflight.cancel_reason = reason
        inflight.cancel_called_at = anyio.current_time()
        inflight.cancelled_at = inflight.cancel_called_at if since is None else since
        inflight.cancelled = True
        if inflight.scope is not None:
            inflight.scope.cancel()
        if self._inflight is inflight:
            self._inflight = None

    def _on_turn(self, seat: Seat[Any], event: TurnStarted) -> None:
        inflight = self._inflight
        if inflight is not None and inflight.root == event.state:
            if inflight.speculative:
                self.stats.hits += 1
            inflight.turn = event.turn
            if inflight.result is not None:
                self._submit(seat, inflight)
            return
        if inflight is not None:
            if inflight.speculative:
                self.stats.misses += 1
            self._cancel(inflight, "stale: a different state to play")
        started = self._start(seat.state, root=event.state, speculative=False)
        started.turn = event.turn
        started.triggered_at = event.ts
        self.stats.replan_latencies.append(anyio.current_time() - event.ts)

    def _start(self, state: S, *, root: str | None, speculative: bool) -> _InFlight[S]:
        inflight: _InFlight[S] = _InFlight(next(self._ids), root, speculative, state=state)
        self._inflight = inflight
        self.stats.plans += 1
        self.stats.speculative += speculative
        self._requests.append(inflight)
        self._wakeup.set()
        return inflight

    async def _worker(self, seat: Seat[Any]) -> None:
        """Runs the plans one after another in this one long-lived task.

        No task is spawned per plan (``start_soon`` costs ~30 us here), and a
        cancelled plan has finished unwinding before the next one starts, so
        it never competes with new work for the loop.
        """
        episode = f"{seat.match.id}:{seat.player}"
        while True:
            await self._wakeup.wait()
            while self._requests and not self._ended:
                inflight = self._requests.popleft()
                stale_turn = inflight.turn is not None and inflight.turn != seat.turn
                if inflight.cancelled or stale_turn:  # went stale before it started
                    if stale_turn and not inflight.cancelled:
                        self._cancel(inflight, "stale: its turn was over before it started")
                    self._record_cancel(episode, inflight)
                    continue
                await self._plan(seat, inflight, inflight.state)
            if self._ended:
                return

    async def _plan(self, seat: Seat[Any], inflight: _InFlight[S], state: S) -> None:
        episode = f"{seat.match.id}:{seat.player}"
        emit = self.recorder.emit
        render = seat.match.game.render
        plan: Plan[S] | None = None
        inflight.scope = anyio.CancelScope()
        with inflight.scope:
            if inflight.triggered_at is not None:
                self.stats.plan_start_latencies.append(anyio.current_time() - inflight.triggered_at)
            if inflight.speculative:
                assert self.opponent_model is not None
                reply = await self.opponent_model.predict(
                    state, self.memory.lines(), salt=stable_salt(render(state))
                )
                if reply is None or not seat.match.game.to_move(reply.predicted):
                    self._drop(inflight)  # no usable prediction, or it ends the game
                    return
                state = reply.predicted
                inflight.root = render(state)
            key = render(state)
            if self.recorder.enabled:
                emit(PlanStarted(episode=episode, plan=inflight.plan_id, state=key))
            started = anyio.current_time()
            # The salt depends on the state only, so a speculative plan and the
            # plan made after the fact are the same plan: speculation changes
            # when a decision is ready, never what it is (replays stay exact).
            plan = await self.planner.plan(
                state, self.memory.lines(), salt=stable_salt(key), player=seat.player
            )
        if plan is None:  # the scope was cancelled: the plan went stale
            self._record_cancel(episode, inflight)
            return
        inflight.result = plan
        self.stats.completed += 1
        if self.recorder.enabled:
            elapsed = anyio.current_time() - started
            emit(plan_completed(plan, episode=episode, plan_id=inflight.plan_id, elapsed=elapsed))
        if inflight.turn is not None:
            self._submit(seat, inflight)

    def _record_cancel(self, episode: str, inflight: _InFlight[S]) -> None:
        self.stats.cancelled += 1
        now = anyio.current_time()
        if inflight.cancelled_at is not None:
            self.stats.cancel_latencies.append(now - inflight.cancelled_at)
        if inflight.cancel_called_at is not None:
            self.stats.unwind_latencies.append(now - inflight.cancel_called_at)
        self.recorder.emit(
            PlanCancelled(
                episode=episode, plan=inflight.plan_id, reason=inflight.cancel_reason or "cancelled"
            )
        )

    def _drop(self, inflight: _InFlight[S]) -> None:
        if self._inflight is inflight:
            self._inflight = None

    def _submit(self, seat: Seat[Any], inflight: _InFlight[S]) -> None:
        plan = inflight.result
        assert plan is not None and inflight.turn is not None
        self._drop(inflight)
        _submit_first(seat, plan, inflight.turn, self.stats, remember=self.memory)


def _submit_first(
    seat: Seat[Any], plan: Plan[Any], turn: int, stats: PlayerStats, *, remember: Memory | None
) -> None:
    """Submit the plan's first action; if there is none or it is refused, the
    first legal one (counted as a fallback).  A refusal is noted in
    ``remember``, when given, so the player can learn from it."""
    if plan.steps:
        action = plan.steps[0].action
        verdict = seat.submit(action, turn=turn)
        if verdict.accepted:
            return
        if remember is not None:
            remember.add(f"{action}: rejected; {verdict.reason}")
    legal = seat.legal_actions()
    if legal:
        stats.fallbacks += 1
        seat.submit(legal[0], turn=turn)


class _Wakeup:
    """A flag the host's inline handler sets and the worker waits on.

    Setting it while the worker runs is remembered, so a request queued
    mid-plan is seen at the next wait without parking.  It can be made outside
    an event loop (players are often built before ``anyio.run``).
    """

    __slots__ = ("_flag", "_parked")

    def __init__(self) -> None:
        self._flag = False
        self._parked: anyio.Event | None = None

    def set(self) -> None:
        self._flag = True
        if self._parked is not None:
            self._parked.set()

    async def wait(self) -> None:
        """Returns once set (clearing it); cancellable while parked."""
        if self._flag:
            await anyio.lowlevel.checkpoint()
        else:
            self._parked = anyio.Event()
            try:
                await self._parked.wait()
            finally:
                self._parked = None
        self._flag = False


class _Heard:
    """Feedback waiting to be learnt; committed on the player's own transitions."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self.pending: list[str] = []

    def hear(self, event: MatchTransition, player: str) -> None:
        feedback = event.feedback.get(player)
        if feedback:
            self.pending.append(feedback)
        if player in event.actions:
            self.commit()

    def commit(self) -> None:
        for line in self.pending:
            self.memory.add(line)
        self.pending.clear()


class DirectPlayer(Generic[S]):
    """The direct LLM baseline for games: one proposal call per move, no look-ahead.

    Its memory holds the game's feedback, like RAFA's, so the two differ only
    in planning (it plans with :class:`~rafa_async.planners.GreedyPlanner`,
    in its own task, and never cancels).  An unusable answer falls back to the
    first legal action.

    ``learn=False`` makes it a fixed, non-learning LLM player (the paper's
    X in Tic-Tac-Toe): the feedback never enters its memory, so every
    match it plays asks the same questions.
    """

    def __init__(
        self,
        llm: LLM,
        model: ActorModel[S],
        *,
        memory: Memory | None = None,
        learn: bool = True,
        name: str = "direct",
    ) -> None:
        self.planner = GreedyPlanner(llm, model)
        self.memory = memory if memory is not None else Memory()
        self.learn = learn
        self.name = name
        self.stats = PlayerStats()
        self._heard = _Heard(self.memory)

    async def play(self, seat: Seat[Any]) -> None:
        render = seat.match.game.render
        async for _, event in seat.events:
            if isinstance(event, MatchEnded):
                self._heard.commit()
                return
            if isinstance(event, MatchTransition):
                if self.learn:
                    self._heard.hear(event, seat.player)
            elif isinstance(event, TurnStarted) and seat.called(event):
                state = seat.state
                plan = await self.planner.plan(
                    state, self.memory.lines(), player=seat.player, salt=stable_salt(render(state))
                )
                self.stats.plans += 1
                _submit_first(seat, plan, event.turn, self.stats, remember=None)
