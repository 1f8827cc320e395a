"""Shared matches: a host runs a :class:`~rafa_async.Game`; players are tasks.

The host owns the state, the clock and the log.  Each turn it publishes
:class:`TurnStarted` on ``match.<id>.turn``, collects one action per mover
through their :class:`Seat` until the deadline, applies them with one
``game.step`` and publishes :class:`MatchTransition` on
``match.<id>.transition``; the last event is :class:`MatchEnded` on
``match.<id>.end``.  Players observe through their seat's subscription
(``match.<id>.*``) and act with :meth:`Seat.submit`, whose verdict tells
them at once if an action was refused; refusals are also published, on
``match.<id>.rejected.<player>`` (for observers: ``match.<id>.**``), so a
crowd of late players does not flood every other seat.

Clocks:

``turns``     a turn ends as soon as every mover has acted, or at
              ``move_timeout`` (if set; ``move_timeouts`` sets it per seat,
              e.g. a tournament's per-participant deadline); a late mover
              gets the fallback action.
``realtime``  fixed ticks of ``tick`` seconds on absolute deadlines: the world
              advances at each tick boundary whatever the players do; a mover
              who has not acted gets :data:`~rafa_async.NOOP` (counted as late).
              A tick the host itself could not start on time is an *overrun*.

The host never waits on a slow player beyond the deadline, and seats use
``drop_oldest`` subscriptions by default, so a player that stops reading
cannot stall the match either.  Every host event is stamped by the match's
:class:`~rafa_async.EventRecorder` (the match log) before it is published;
its order depends only on the game and the submitted actions, so the same
seed and deterministic players give the same :func:`~rafa_async.log_digest`
on trio and asyncio.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, Literal, Protocol, TypedDict, TypeVar, Unpack, runtime_checkable

import anyio
import anyio.lowlevel
import structlog

from rafa_async._bus import EventBus, Overflow, Subscription
from rafa_async._context import CallCounts, episode_scope
from rafa_async._errors import ConfigError
from rafa_async._events import (
    ActionRejected,
    Event,
    EventRecorder,
    MatchEnded,
    MatchStarted,
    MatchTransition,
    TurnStarted,
)
from rafa_async._game import NOOP, Game

S = TypeVar("S")
log = structlog.get_logger("rafa_async.match")
Clock = Literal["turns", "realtime"]


class Player(Protocol):
    """Anything that plays a seat.  ``play`` runs for the whole match and is
    cancelled when the match ends (it may also return earlier)."""

    name: str

    async def play(self, seat: Seat[Any]) -> None: ...


@runtime_checkable
class ReactivePlayer(Player, Protocol):
    """A player that takes its seat's events inline instead of from an inbox.

    :func:`open_match` registers ``on_event`` as a bus listener (see
    :meth:`~rafa_async.EventBus.listen`): the host calls it for each event of
    the match, in the host's task, as it publishes.  It must not block; it
    records what happened and wakes the player's own task (``play``) when
    there is work to do.  Thousands of such players cost the host one pass
    over them per event instead of one task switch each.  ``play`` still runs
    as the player's task, and its seat has no ``events`` inbox.
    """

    def on_event(self, seat: Seat[Any], topic: str, event: Event) -> None: ...


@dataclass(frozen=True, slots=True)
class Verdict:
    accepted: bool
    reason: str = ""


@dataclass(slots=True)
class MatchResult:
    match: str
    scores: dict[str, float]
    turns: int
    late: dict[str, int]
    rejected: dict[str, int]
    overruns: int
    reason: str
    max_lag: float = 0.0
    log: list[Event] = field(repr=False, default_factory=list)
    calls: dict[str, CallCounts] = field(repr=False, default_factory=dict)
    """Each seat's LLM calls (tokens, cost), counted in the seat's own scope."""
    decisions: dict[str, list[float]] = field(repr=False, default_factory=dict)
    """Each seat's decision times in seconds (see :attr:`Match.decisions`)."""


class Seat(Generic[S]):
    """One player's place in a match: its inbox, its view, its way to act."""

    def __init__(self, match: Match[S], player: str, events: Subscription | None) -> None:
        self.match = match
        self.player = player
        self._events = events
        self.calls = CallCounts()
        """The LLM calls made by this seat's player task (and its children)."""

    @property
    def events(self) -> Subscription:
        """The seat's inbox (``match.<id>.*``).  A :class:`ReactivePlayer`'s
        seat has none: its events go to ``on_event``."""
        if self._events is None:
            raise RuntimeError(
                f"seat {self.player} belongs to a reactive player: its events go to on_event"
            )
        return self._events

    @property
    def state(self) -> S:
        return self.match.state

    @property
    def turn(self) -> int:
        return self.match.turn

    @property
    def my_turn(self) -> bool:
        return self.player in self.match.movers

    def called(self, event: TurnStarted) -> bool:
        """Whether ``event`` asks this player to act *now*: it is the current
        turn and the player is a mover.  O(1), unlike scanning
        ``event.players`` (10,000 names in a large real-time game)."""
        return event.turn == self.match.turn and self.player in self.match.movers

    def observe(self) -> str:
        return self.match.game.observe(self.match.state, self.player)

    def legal_actions(self) -> Sequence[str]:
        return self.match.game.legal_actions(self.match.state, self.player)

    def submit(self, action: str, *, turn: int | None = None) -> Verdict:
        """Act in the current turn (or in ``turn``, refused if that turn is over)."""
        return self.match.submit(self.player, action, turn=turn)


class Match(Generic[S]):
    """Runs one match of ``game``.  Create it with :func:`open_match`."""

    def __init__(
        self,
        game: Game[S],
        players: Mapping[str, Player],
        *,
        match_id: str = "0",
        seed: int = 0,
        bus: EventBus | None = None,
        recorder: EventRecorder | None = None,
        clock: Clock = "turns",
        move_timeout: float | None = None,
        move_timeouts: Mapping[str, float | None] | None = None,
        tick: float = 1.0,
        max_turns: int | None = None,
        fallback: Callable[[Sequence[str]], str] | None = None,
        meta: Mapping[str, str] | None = None,
        keep_log: bool = True,
    ) -> None:
        missing = set(game.players) - set(players)
        extra = set(players) - set(game.players)
        if missing or extra:
            raise ConfigError(
                f"{game.name} seats are {', '.join(game.players)}; missing "
                f"{sorted(missing) or 'none'}, unknown {sorted(extra) or 'none'}"
            )
        if clock not in ("turns", "realtime"):
            raise ConfigError(f"unknown clock {clock!r} (use turns or realtime)")
        if clock == "realtime" and tick <= 0:
            raise ConfigError(f"realtime tick must be > 0 seconds, got {tick}")
        self.game = game
        self.players = dict(players)
        self.id = match_id
        self.seed = seed
        self.bus = bus if bus is not None else EventBus()
        self.recorder = recorder if recorder is not None else EventRecorder()
        self.clock: Clock = clock
        self.move_timeout = move_timeout
        self.move_timeouts = dict(move_timeouts or {})
        unknown = sorted(set(self.move_timeouts) - set(game.players))
        if unknown:
            raise ConfigError(f"move_timeouts for unknown seats {unknown} of {game.name}")
        self.tick = tick
        self.max_turns = max_turns
        self.fallback = fallback if fallback is not None else _first_legal
        self.meta = dict(meta or {})
        self.state: S = game.reset(seed)
        self.turn = 0
        self.movers: frozenset[str] = frozenset()
        self.keep_log = keep_log
        self.log: list[Event] = []
        self.seats: dict[str, Seat[S]] = {}
        self.late = dict.fromkeys(game.players, 0)
        self.rejected = dict.fromkeys(game.players, 0)
        self.overruns = 0
        self.max_lag = 0.0
        self.decisions: dict[str, list[float]] = {p: [] for p in game.players}
        """Each seat's decision times (seconds from its turn's start to its
        accepted action; a late mover's, to the deadline it missed)."""
        self._turn_started = 0.0
        self._own_deadlines: dict[str, float] = {}
        self._actions: dict[str, str] = {}
        self._all_in = anyio.Event()
        self._topic = f"match.{match_id}"

    # -- players' side -----------------------------------------------------------

    def submit(self, player: str, action: str, *, turn: int | None = None) -> Verdict:
        reason = self._check(player, action, turn)
        if reason:
            self.rejected[player] = self.rejected.get(player, 0) + 1
            self._emit_nowait(
                f"rejected.{player}",
                ActionRejected(
                    match=self.id, turn=self.turn, player=player, action=action, reason=reason
                ),
            )
            return Verdict(False, reason)
        self._actions[player] = action
        self.decisions[player].append(anyio.current_time() - self._turn_started)
        if self.clock == "turns" and self._turn_complete():
            self._all_in.set()
        return Verdict(True)

    def _check(self, player: str, action: str, turn: int | None) -> str:
        if turn is not None and turn != self.turn:
            return f"turn {turn} is over (now {self.turn})"
        if player not in self.movers:
            return f"not {player}'s turn"
        if player in self._actions:
            return f"{player} already acted this turn"
        own = self._own_deadlines.get(player)
        if own is not None and anyio.current_time() > own:
            return f"too late: {player}'s move timeout has passed"
        legal = self.game.legal_actions(self.state, player)
        if action not in legal:
            shown = ", ".join(legal[:12]) + (", ..." if len(legal) > 12 else "")
            return f"illegal action {action!r}; legal: {shown}"
        return ""

    # -- host ----------------------------------------------------------------------

    def _record(self, kind: str, event: Event) -> str:
        """Stamp ``event`` into the match log; the topic to publish it on."""
        self.recorder.emit(event)
        if self.keep_log:
            self.log.append(event)
        return f"{self._topic}.{kind}"

    def _emit_nowait(self, kind: str, event: Event) -> None:
        topic = self._record(kind, event)
        try:
            self.bus.publish_nowait(topic, event)
        except anyio.WouldBlock:
            # A 'block' subscriber is full and this path (a player's submit) must
            # not wait.  The event is in the match log and the submitter got the
            # verdict; only the bus copy is skipped, and that is logged.
            log.warning("match_event_not_published", topic=topic)

    async def _emit(self, kind: str, event: Event, *, then_more: bool = False) -> None:
        """Log and publish ``event``, delivering before yielding to the players.

        With ``then_more`` (another event follows at once) it does not yield at
        all, so players wake once for both events instead of twice.  Only a full
        ``block`` subscriber makes the host wait (``EventBus.publish``).
        """
        topic = self._record(kind, event)
        try:
            self.bus.publish_nowait(topic, event)
        except anyio.WouldBlock:
            await self.bus.publish(topic, event)
            return
        if not then_more:
            await anyio.lowlevel.checkpoint()

    async def run(self) -> MatchResult:
        """Play the match to its end and return the result.  Cancellable."""
        render = self.game.render
        await self._emit(
            "start",
            MatchStarted(
                match=self.id,
                game=self.game.name,
                players={
                    p: getattr(pl, "name", type(pl).__name__) for p, pl in self.players.items()
                },
                seed=self.seed,
                clock=self.clock,
                options={
                    "move_timeout": str(self.move_timeout),
                    "tick": str(self.tick),
                    "max_turns": str(self.max_turns),
                    **self.meta,
                },
            ),
        )
        reason = "game over"
        next_tick = anyio.current_time()
        while True:
            movers = tuple(self.game.to_move(self.state))
            if not movers:
                break
            if self.max_turns is not None and self.turn >= self.max_turns:
                reason = "turn limit"
                break
            self.turn += 1
            self.movers = frozenset(movers)
            self._actions = {}
            self._all_in = anyio.Event()
            self._turn_started = anyio.current_time()
            deadline = self._deadline(next_tick, movers)
            await self._emit(
                "turn",
                TurnStarted(
                    match=self.id,
                    turn=self.turn,
                    players=list(movers),
                    deadline=deadline,
                    state=render(self.state),
                ),
            )
            await self._collect(deadline)
            late = [p for p in movers if p not in self._actions]
            actions = {p: self._actions.get(p) or self._fallback_for(p) for p in movers}
            waited = anyio.current_time() - self._turn_started
            for player in late:
                self.late[player] += 1
                self.decisions[player].append(waited)
            self.movers = frozenset()
            step = self.game.step(self.state, actions)
            self.state = step.state
            await self._emit(
                "transition",
                then_more=not step.done,
                event=MatchTransition(
                    match=self.id,
                    turn=self.turn,
                    actions=actions,
                    rewards=dict(step.rewards),
                    feedback=dict(step.feedback),
                    late=late,
                    done=step.done,
                    state=render(self.state),
                ),
            )
            if self.clock == "realtime":
                next_tick = self._next_tick(next_tick)
            if step.done:
                break
        scores = dict(self.game.scores(self.state))
        await self._emit(
            "end",
            MatchEnded(
                match=self.id,
                turns=self.turn,
                scores=scores,
                late={p: n for p, n in self.late.items() if n},
                reason=reason,
            ),
        )
        return MatchResult(
            match=self.id,
            scores=scores,
            turns=self.turn,
            late=dict(self.late),
            rejected=dict(self.rejected),
            overruns=self.overruns,
            reason=reason,
            max_lag=self.max_lag,
            log=self.log,
            calls={p: seat.calls for p, seat in self.seats.items()},
            decisions={p: list(times) for p, times in self.decisions.items()},
        )

    def _deadline(self, tick_start: float, movers: Sequence[str]) -> float | None:
        """When the host stops waiting for this turn's ``movers``: the tick's
        end, else the latest of the movers' own move timeouts (``None`` if
        one of them has none)."""
        if self.clock == "realtime":
            return tick_start + self.tick
        now = anyio.current_time()
        timeouts = {p: self.move_timeouts.get(p, self.move_timeout) for p in movers}
        self._own_deadlines = {p: now + t for p, t in timeouts.items() if t is not None}
        if not timeouts or len(self._own_deadlines) < len(timeouts):
            return None
        return max(self._own_deadlines.values())

    def _next_tick(self, tick_start: float) -> float:
        """Start of the next tick: where this one's deadline was.

        The host applies a tick's actions after its deadline, so the next tick
        opens a little late (``max_lag``).  If that work took a whole tick or
        more, the missed ticks are *overruns*: skipped, not run back to back.
        """
        nxt = tick_start + self.tick
        now = anyio.current_time()
        if now >= nxt + self.tick:
            missed = int((now - nxt) // self.tick)
            self.overruns += missed
            nxt += missed * self.tick
        self.max_lag = max(self.max_lag, now - nxt)
        return nxt

    async def _collect(self, deadline: float | None) -> None:
        if self.clock == "realtime":
            assert deadline is not None
            await anyio.sleep_until(deadline)
            return
        if deadline is None:
            await self._all_in.wait()
            return
        # Wake at each mover's own deadline: once every mover has acted or
        # missed its deadline, the turn is over.
        while not self._turn_complete():
            now = anyio.current_time()
            wake = min(self._waiting_for(now), default=deadline)
            with anyio.move_on_after(max(0.0, wake - now)):
                await self._all_in.wait()

    def _waiting_for(self, now: float) -> list[float]:
        """The deadlines of the movers yet to act that have not passed."""
        return [
            d
            for p in self.movers
            if p not in self._actions and (d := self._own_deadlines.get(p, math.inf)) > now
        ]

    def _turn_complete(self) -> bool:
        """Every mover has acted or missed its own deadline."""
        if self.movers <= self._actions.keys():
            return True
        if not self._own_deadlines:
            return False
        return not self._waiting_for(anyio.current_time())

    def _fallback_for(self, player: str) -> str:
        if self.clock == "realtime":
            return NOOP
        return self.fallback(self.game.legal_actions(self.state, player))


async def _play(player: Player, seat: Seat[Any]) -> None:
    """A seat's task: the player, with its LLM calls counted in its own scope
    (inside the caller's, e.g. the match's)."""
    with episode_scope(f"{seat.match.id}:{seat.player}") as scope:
        seat.calls = scope.calls
        await player.play(seat)


def _first_legal(actions: Sequence[str]) -> str:
    if not actions:
        raise ConfigError("a mover has no legal action; the game must not ask it to move")
    return actions[0]


class MatchOptions(TypedDict, total=False):
    """The keywords :func:`open_match` passes on to :class:`Match` (their
    defaults are :class:`Match`'s)."""

    match_id: str
    seed: int
    bus: EventBus | None
    recorder: EventRecorder | None
    clock: Clock
    move_timeout: float | None
    move_timeouts: Mapping[str, float | None] | None
    tick: float
    max_turns: int | None
    meta: Mapping[str, str] | None
    keep_log: bool


@asynccontextmanager
async def open_match(
    game: Game[S],
    players: Mapping[str, Player],
    *,
    inbox: int = 4096,
    inbox_overflow: Overflow = "drop_oldest",
    **options: Unpack[MatchOptions],
) -> AsyncIterator[Match[S]]:
    """A match with every player running as a task of its task group::

        async with open_match(game, {"X": a, "O": b}, seed=0) as match:
            result = await match.run()

    ``options`` are :class:`Match`'s (:class:`MatchOptions`: ``seed``,
    ``match_id``, ``clock``, ``move_timeout``...).  Each seat is subscribed
    to ``match.<id>.*`` (``inbox`` events, ``inbox_overflow``) before any
    player starts, so no player misses the start; a :class:`ReactivePlayer`'s
    seat gets a listener calling its ``on_event`` instead.  When the block
    exits, players still running are cancelled.

    ``keep_log`` keeps every host event in memory for ``MatchResult.log``;
    a long match of thousands of players should turn it off and log to the
    ``recorder``'s sink (a file) instead.
    """
    match = Match(game, players, **options)
    async with AsyncExitStack() as stack:
        seats = []
        pattern = f"match.{match.id}.*"
        for name in game.players:
            player = match.players[name]
            if isinstance(player, ReactivePlayer):
                seat: Seat[S] = Seat(match, name, None)
                stack.enter_context(match.bus.listen(pattern, partial(player.on_event, seat)))
            else:
                events = await stack.enter_async_context(
                    match.bus.subscribe(pattern, buffer=inbox, overflow=inbox_overflow)
                )
                seat = Seat(match, name, events)
            seats.append(seat)
            match.seats[name] = seat
        async with anyio.create_task_group() as tg:
            for seat in seats:
                tg.start_soon(_play, match.players[seat.player], seat)
            try:
                yield match
            finally:
                tg.cancel_scope.cancel()
