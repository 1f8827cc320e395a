"""Matches run on request, watched live: the core of ``rafa serve``.

:class:`MatchManager` is anyio-only, so any running event loop can host it
(aiohttp, Starlette, a trio program)::

    async with MatchManager() as manager:
        match_id = manager.start(MatchRequest(game="tictactoe", seats={"X": "rafa", "O": "random"}))
        async with manager.subscribe(match_id) as watch:
            async for message in watch:  # the snapshot, then each event, as dicts
                ...

Each match runs in the manager's own task group, under its own cancel scope
(:meth:`MatchManager.cancel`), with one LLM stack shared by all of them
(the SIMULATED LLM: the server's limits are global).  Its events go to an
:class:`~rafa_async.EventBus`; every watcher subscribes with the ``latest``
policy (per topic -- a host event kind, an LLM call, a plan -- only the
newest undelivered event is kept), so a slow watcher loses intermediate
events -- counted in :attr:`MatchManager.drops` -- and never stalls the
match, while one that keeps up gets every LLM call.  Leaving the ``async with`` cancels every
match still running and waits for them: no task outlives the manager.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, get_args

import anyio
import anyio.abc
import msgspec
import structlog

from rafa_async._bus import EventBus, Subscription
from rafa_async._context import sampling_seed
from rafa_async._errors import ConfigError
from rafa_async._events import (
    Event,
    EventRecorder,
    LLMCallEnded,
    LLMCallStarted,
    MatchTransition,
    PlanCancelled,
    PlanCompleted,
    PlanStarted,
    TurnStarted,
)
from rafa_async.app import LLMOptions, MatchRecord, PlayConfig, open_llm, play_match
from rafa_async.llm import LLM, LatencyModel
from rafa_async.scenarios import get_game, simulated_llm
from rafa_async.server._registry import LimitReached, Registry, RunOwner, UnknownId
from rafa_async.server._types import (
    RECENT_CALLS,
    TERMINAL,
    CallView,
    MatchClosed,
    MatchRequest,
    MatchStatus,
    MatchView,
    Snapshot,
)

_log = structlog.get_logger("rafa_async.server")

LLM_TIMEOUT = 120.0
"""Seconds per attempt of the shared LLM stack's calls."""


class MatchLimitReached(LimitReached):
    """As many matches are running as the manager allows; try again later
    (``retry_after`` seconds is a hint).  HTTP: 429 with ``Retry-After``."""

    kinds = "matches"


class UnknownMatch(UnknownId):
    """No match has this id (or it was forgotten: see ``history``).  HTTP: 404."""

    kind = "match"


class _Match:
    """One match's state: what a late watcher's snapshot shows."""

    def __init__(
        self,
        match_id: str,
        request: MatchRequest,
        config: PlayConfig,
        draw: Callable[[str], list[str] | None] | None = None,
    ) -> None:
        self.id = match_id
        self.request = request
        self.config = config
        self.draw = draw
        """The game's board drawing (``GameSpec.grid``), if it has one."""
        self._drawn: tuple[str | None, list[str] | None] = (None, None)
        self.status: MatchStatus = "running"
        self.turn = 0
        self.board: str | None = None
        self.moves: list[dict[str, str]] = []
        self.plans: dict[str, dict[str, Any]] = {}
        self.calls: OrderedDict[tuple[str, int], CallView] = OrderedDict()
        """The newest LLM calls (at most ``RECENT_CALLS``), for snapshots."""
        self.error: str | None = None
        self.result: MatchRecord | None = None
        self.scope = anyio.CancelScope()
        self.done = anyio.Event()
        self.waiting: set[anyio.CancelScope] = set()
        """Watchers parked for this match's next event (woken when it closes)."""

    def observe(self, event: Event) -> None:
        if isinstance(event, TurnStarted):
            self.turn, self.board = event.turn, event.state
        elif isinstance(event, MatchTransition):
            self.board = event.state
            self.moves.append(dict(event.actions))
        elif isinstance(event, PlanStarted | PlanCompleted | PlanCancelled):
            self.plans[_seat(event.episode)] = msgspec.to_builtins(event)
        elif isinstance(event, LLMCallStarted):
            seat = _seat(event.episode)
            self.calls[seat, event.call] = CallView(
                seat=seat, call=event.call, intent=event.intent, start=event.ts
            )
            if len(self.calls) > RECENT_CALLS:
                self.calls.popitem(last=False)
        elif isinstance(event, LLMCallEnded):
            call = self.calls.get((_seat(event.episode), event.call))
            if call is not None:
                call.end, call.outcome = event.ts, event.outcome

    def grid_of(self, state: str | None) -> list[str] | None:
        """The board ``state`` shows, drawn (the last one is kept: every
        watcher asks for the same board in turn)."""
        if state is None or self.draw is None:
            return None
        if self._drawn[0] != state:
            self._drawn = (state, self.draw(state))
        return self._drawn[1]

    def message(self, event: Event) -> dict[str, Any]:
        """``event`` as a watcher gets it: JSON-able, a board change with its ``grid``."""
        message: dict[str, Any] = msgspec.to_builtins(event)
        if isinstance(event, TurnStarted | MatchTransition):
            message["grid"] = self.grid_of(event.state)
        return message

    def view(self, *, detail: bool = True) -> MatchView:
        return MatchView(
            id=self.id,
            game=self.request.game,
            seats=dict(self.request.seats),
            seed=self.request.seed,
            status=self.status,
            simulated=True,
            turn=self.turn,
            board=self.board,
            grid=self.grid_of(self.board),
            moves=list(self.moves) if detail else [],
            plans=dict(self.plans) if detail else {},
            error=self.error,
            result=self.result,
        )


def _topic(match_id: str, event: Event) -> str:
    """Where ``event`` is published: what a watcher's ``latest`` policy
    conflates is one topic's undelivered events.  Each LLM call and each
    plan has a topic of its own (a slow watcher gets a call's newest state,
    its end superseding its start; no call hides another), the host's
    events one per kind (a slow watcher gets the newest board)."""
    kind = type(event).__name__
    episode = getattr(event, "episode", "")
    if ":" not in episode:
        return f"match.{match_id}.{kind}"
    seat = _seat(episode)
    if isinstance(event, LLMCallStarted | LLMCallEnded):
        return f"match.{match_id}.call.{seat}.{event.call}"
    plan = getattr(event, "plan", None)
    if isinstance(plan, int):
        return f"match.{match_id}.plan.{seat}.{plan}"
    return f"match.{match_id}.{kind}.{seat}"


def _seat(episode: str) -> str:
    return episode.rpartition(":")[2].replace(".", "_") or "-"


class Watch:
    """A watcher's stream of one match: the snapshot, then its events, as
    JSON-able dicts (``type`` names each: ``Snapshot``, ``TurnStarted``...),
    ending with :class:`MatchClosed` once the match is over.  Waiting for
    the next one is cancellable."""

    def __init__(self, match: _Match, subscription: Subscription) -> None:
        self._match = match
        self._snapshot: Snapshot | None = Snapshot(
            match=match.view(), calls=[msgspec.structs.replace(c) for c in match.calls.values()]
        )
        self._subscription = subscription
        self._over = False

    @property
    def dropped(self) -> int:
        """Events this watcher missed because it read too slowly."""
        return self._subscription.dropped

    def __aiter__(self) -> Watch:
        return self

    async def __anext__(self) -> dict[str, Any]:
        if self._snapshot is not None:
            snapshot, self._snapshot = self._snapshot, None
            self._over = snapshot.match.status in TERMINAL  # nothing more will come
            return msgspec.to_builtins(snapshot)  # type: ignore[no-any-return]
        if self._over:
            raise StopAsyncIteration
        subscription, match = self._subscription, self._match
        delivery = subscription.receive_nowait() if subscription.pending else None
        if delivery is None and not match.done.is_set():
            # Parked until an event comes or the match closes (its close
            # cancels this scope: a closed match publishes nothing more).
            with anyio.CancelScope() as waiting:
                match.waiting.add(waiting)
                try:
                    delivery = await subscription.receive()
                finally:
                    match.waiting.discard(waiting)
        if delivery is not None:
            return match.message(delivery[1])
        self._over = True
        closed = MatchClosed(
            match=match.id, status=match.status, error=match.error, result=match.result
        )
        return msgspec.to_builtins(closed)  # type: ignore[no-any-return]


class _Router:
    """The shared LLM stack's trace sink: each call event to the match whose
    seat made it (a call's ``episode`` is ``MATCH_ID:SEAT``)."""

    def __init__(self, manager: MatchManager) -> None:
        self.manager = manager

    def emit(self, event: Event) -> None:
        if isinstance(event, LLMCallStarted | LLMCallEnded):
            match = self.manager._matches.find(event.episode.rpartition(":")[0])
            if match is not None:
                self.manager._publish(match, event)


class _MatchSink:
    def __init__(self, manager: MatchManager, match: _Match) -> None:
        self.manager = manager
        self.match = match

    def emit(self, event: Event) -> None:
        self.manager._publish(self.match, event)


class MatchManager(RunOwner):
    """Starts, tracks, streams and cancels matches (see the module doc).

    ``max_matches``: matches running at once (:class:`MatchLimitReached`
    beyond); ``buffer``: topics a watcher's subscription keeps (the
    ``latest`` policy); ``history``: finished matches remembered (the oldest
    are forgotten first); ``seed`` and ``latency_scale``: the shared sim's.
    """

    def __init__(
        self,
        *,
        max_matches: int = 16,
        latency_scale: float = 1.0,
        seed: int = 0,
        llm_concurrency: int = 256,
        buffer: int = 64,
        history: int = 1000,
    ) -> None:
        super().__init__()
        for name, value in (
            ("max_matches", max_matches),
            ("llm_concurrency", llm_concurrency),
            ("buffer", buffer),
            ("history", history),
        ):
            if value < 1:
                raise ConfigError(f"{name} must be >= 1, got {value}", fields=(name,))
        if not latency_scale >= 0:
            raise ConfigError("latency_scale must be >= 0", fields=("latency_scale",))
        self.max_matches = max_matches
        self.latency_scale = latency_scale
        self.seed = seed
        self.llm_concurrency = llm_concurrency
        self.buffer = buffer
        self.history = history
        self.bus = EventBus()
        self._matches: Registry[_Match] = Registry(
            limit=max_matches, history=history, unknown=UnknownMatch, full=MatchLimitReached
        )
        self._llm: LLM | None = None
        self._drops_closed = 0
        self.llm_calls: dict[str, int] = {}
        """LLM calls ended, by outcome."""
        self.llm_latency_sum = 0.0

    async def __aenter__(self) -> MatchManager:
        async with AsyncExitStack() as stack:
            self._llm = await stack.enter_async_context(
                open_llm(
                    LLMOptions(max_concurrency=self.llm_concurrency, timeout=LLM_TIMEOUT),
                    sim=lambda: simulated_llm(
                        seed=self.seed, latency=LatencyModel(scale=self.latency_scale)
                    ),
                    recorder=EventRecorder(_Router(self)),
                    seed=self.seed,
                )
            )
            await self._own(stack)
        return self

    # -- matches --------------------------------------------------------------

    def start(self, request: MatchRequest) -> str:
        """Start ``request``'s match; its id.  :class:`ConfigError` (naming the
        field in ``fields``) for a bad request, :class:`MatchLimitReached` at
        the limit; ``RuntimeError`` if the manager is not open."""
        tg = self._task_group()
        config = _play_config(request)
        self._matches.ensure_room()
        match = _Match(uuid.uuid4().hex[:12], request, config, get_game(request.game).grid)
        self._matches.add(match)
        tg.start_soon(self._run, match, name=f"match {match.id}")
        _log.info("match_started", match=match.id, game=request.game, seats=request.seats)
        return match.id

    async def _run(self, match: _Match) -> None:
        # A match with its own latency gets its own sim (play_match opens it).
        llm = self._llm if match.request.latency_scale is None else None
        sink = _MatchSink(self, match)
        try:
            with match.scope, sampling_seed(match.request.seed):
                record = await play_match(
                    match.config, 0, llm=llm, log=sink, trace=sink, name=match.id
                )
                match.result = record
                match.status = "finished" if record.status == "done" else "failed"
                match.error = record.error
            if match.status == "running":
                match.status = "cancelled"
        except Exception as error:  # a bug or a provider failure: the match failed, not the server
            _log.exception("match_failed", match=match.id)
            match.status, match.error = "failed", f"{type(error).__name__}: {error}"
        finally:
            if match.status == "running":  # the manager is closing
                match.status = "cancelled"
            match.done.set()
            for waiting in match.waiting:
                waiting.cancel()
            _log.info("match_closed", match=match.id, status=match.status)

    def _publish(self, match: _Match, event: Event) -> None:
        match.observe(event)
        if isinstance(event, LLMCallEnded):
            self.llm_calls[event.outcome] = self.llm_calls.get(event.outcome, 0) + 1
            self.llm_latency_sum += event.latency
        self.bus.publish_nowait(_topic(match.id, event), event)

    def get(self, match_id: str) -> MatchView:
        """The match's status, state and (once over) result;
        :class:`UnknownMatch` if there is none."""
        return self._matches.get(match_id).view()

    async def wait(self, match_id: str) -> MatchView:
        """Wait (cancellable) until the match is over; its view."""
        return (await self._matches.wait(match_id)).view()

    def cancel(self, match_id: str) -> MatchView:
        """Cancel the match (nothing happens to one already over); its view.
        It is ``cancelled`` once its task has unwound (see :meth:`wait`)."""
        return self._matches.cancel(match_id).view()

    def list(self, offset: int = 0, limit: int = 50) -> tuple[int, list[MatchView]]:
        """``(total, views)``: the matches ``offset .. offset + limit``, oldest
        first, without their moves and plans (see :meth:`get`)."""
        matches = list(self._matches)[offset : offset + limit]
        return len(self._matches), [m.view(detail=False) for m in matches]

    @property
    def running(self) -> int:
        return self._matches.running

    def counts(self) -> dict[MatchStatus, int]:
        """Matches remembered, by status."""
        return self._matches.counts(get_args(MatchStatus))

    @property
    def drops(self) -> int:
        """Events watchers missed by reading too slowly, in all."""
        return self._drops_closed + sum(s.dropped for s in self.bus.subscriptions)

    @property
    def watchers(self) -> int:
        return sum(1 for _ in self.bus.subscriptions)

    @asynccontextmanager
    async def subscribe(self, match_id: str) -> AsyncIterator[Watch]:
        """Watch a match (:class:`Watch`) for the body of the ``async with``;
        :class:`UnknownMatch` if there is none.  Leaving unsubscribes at once."""
        match = self._matches.get(match_id)
        async with self.bus.subscribe(
            f"match.{match_id}.**", buffer=self.buffer, overflow="latest"
        ) as subscription:
            # Subscribed before the snapshot, with no checkpoint between:
            # every event after the snapshot reaches the watcher.
            watch = Watch(match, subscription)
            try:
                yield watch
            finally:
                self._drops_closed += subscription.dropped


def _play_config(request: MatchRequest) -> PlayConfig:
    """The one-match series of ``request``; :class:`ConfigError` naming the
    request field at fault."""
    try:
        get_game(request.game)
    except ConfigError as error:
        raise ConfigError(str(error), fields=("game",)) from None
    options: dict[str, Any] = {}
    if request.n_candidates is not None:
        options["n_candidates"] = request.n_candidates
    if request.latency_scale is not None:
        options["latency"] = LatencyModel(scale=request.latency_scale)
    config = PlayConfig(
        game=request.game,
        seats=dict(request.seats),
        episodes=1,
        seed=request.seed,
        concurrency=1,
        **options,
    )
    try:
        config.validate()
    except ConfigError as error:
        raise ConfigError(str(error), fields=error.fields or ("seats",)) from None
    return config
