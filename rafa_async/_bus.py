"""The event bus: topic-based publish/subscribe with per-subscription back-pressure.

Design for throughput (docs/architecture.md: one ``await send`` per delivery tops out
near 60k deliveries/s on this machine; draining a batch after one wake-up
reaches millions):

* ``publish`` appends one shared ``(topic, event)`` item to each matching
  subscription's deque -- no task, no await, no copy per delivery -- and wakes
  a subscriber only if it is parked waiting.
* Subscribers drain: :meth:`Subscription.receive_batch` returns everything
  pending after a single wake-up; ``receive``/``async for`` pop from the same
  buffer and only park when it is empty.
* Topic -> subscriptions routing is cached per topic and rebuilt only when the
  set of subscriptions changes.

Ordering: each subscription sees events in publication order (so per-topic
order holds for every subscriber).  Overflow is chosen per subscription:

``block``        lossless: a publisher waits while this subscription's buffer
                 is full (back-pressure); ``publish_nowait`` raises ``WouldBlock``.
``drop_oldest``  the buffer keeps the newest ``buffer`` events; older ones are
                 dropped and counted.
``latest``       conflate: per topic only the newest undelivered event is kept
                 (for at most ``buffer`` topics; beyond that the stalest topic's
                 event is dropped).

Slow subscribers never stall the publisher unless they chose ``block``.  Drops
are never silent: every subscription counts them (``dropped``), and logs a
warning when a burst of drops starts and when the subscriber has caught up
(with the count) -- at most one warning per :data:`LOG_INTERVAL` seconds per
subscription, so sustained overload gives one progress line a second, not one
per drop.  A subscription has one consumer task at a time.

Listeners (:meth:`EventBus.listen`) are the other kind of subscriber: a plain
function called *inline* by ``publish``, in the publisher's task.  No buffer,
no wake-up, no task switch: for thousands of agents that each need a few
microseconds of bookkeeping per event (store feedback, cancel a stale plan,
queue a replan), that is the difference between one pass over the agents and
one scheduling round per agent.  A listener must be quick and must not
block; an exception it raises propagates to the publisher.
"""

from __future__ import annotations

import math
import re
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import lru_cache
from typing import Literal, NamedTuple

import anyio
import anyio.lowlevel
import structlog

from rafa_async._errors import ConfigError
from rafa_async._events import Event

Overflow = Literal["block", "drop_oldest", "latest"]

LOG_INTERVAL = 1.0
"""Seconds (event-loop clock) between drop warnings of one subscription."""
Delivery = tuple[str, Event]

log = structlog.get_logger("rafa_async.bus")


@lru_cache(maxsize=4096)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """A topic pattern as a regex.  Topics are dot-separated segments.

    ``*`` matches exactly one segment, ``**`` (only as a whole segment) any
    number of segments including none; anything else matches literally.
    ``match.42.*`` matches ``match.42.turn`` but not ``match.42.turn.x``;
    ``match.**`` matches every topic under ``match``.
    """
    if not pattern or any(not part for part in pattern.split(".")):
        raise ConfigError(f"bad topic pattern {pattern!r}: empty segment")
    segments = pattern.split(".")
    # Consecutive ``**`` mean the same as one.
    segments = [s for i, s in enumerate(segments) if s != "**" or segments[i - 1 : i] != ["**"]]
    if segments == ["**"]:
        return re.compile(r"^(?:[^.]+(?:\.[^.]+)*)?$")
    # ``**`` takes one neighbouring dot with it, so it can stand for zero segments:
    # ``**.b`` matches ``b``, ``a.**.b`` matches ``a.b``, ``a.**`` matches ``a``.
    regex = ""
    dot = ""
    for segment in segments:
        if segment == "**":
            regex += r"(?:\.[^.]+)*" if dot else r"(?:[^.]+\.)*"
        elif "**" in segment:
            raise ConfigError(f"bad topic pattern {pattern!r}: '**' must be a whole segment")
        else:
            regex += dot + r"[^.]+".join(re.escape(p) for p in segment.split("*"))
            dot = r"\."
    return re.compile(rf"^{regex}$")


BUS_WARNINGS_PER_INTERVAL = 20
"""Drop warnings one bus logs per LOG_INTERVAL, all subscriptions together."""


class _LogBudget:
    """Caps one bus's drop warnings: 10,000 seats overflowing at once must not
    print 10,000 lines a second.  Suppressed warnings are counted, and the next
    warning that gets through says how many were held back."""

    def __init__(self) -> None:
        self.window_end = -math.inf
        self.used = 0
        self.suppressed = 0

    def warn(self, event: str, **fields: object) -> None:
        now = _now()
        if now >= self.window_end:
            self.window_end = now + LOG_INTERVAL
            self.used = 0
        if self.used >= BUS_WARNINGS_PER_INTERVAL:
            self.suppressed += 1
            return
        self.used += 1
        if self.suppressed:
            fields["suppressed_warnings"] = self.suppressed
            self.suppressed = 0
        log.warning(event, **fields)


def _now() -> float:
    try:
        return anyio.current_time()
    except RuntimeError:  # published from outside an event loop
        return time.monotonic()


class Subscription:
    """A subscriber's end of the bus.  Create it with :meth:`EventBus.subscribe`.

    ``delivered`` counts events handed to the subscriber, ``dropped`` events
    discarded by its overflow policy.  Receiving waits (cancellable) only
    while nothing is pending; it raises ``anyio.EndOfStream`` once the
    subscription is closed and drained.
    """

    __slots__ = (
        "_announced",
        "_budget",
        "_buffer",
        "_closed",
        "_latest",
        "_quiet_until",
        "_space",
        "_waiter",
        "buffer",
        "burst_dropped",
        "delivered",
        "dropped",
        "overflow",
        "pattern",
        "push",
        "unreported",
    )

    def __init__(
        self, pattern: str, buffer: int, overflow: Overflow, budget: _LogBudget | None = None
    ) -> None:
        if buffer < 1:
            raise ConfigError(f"subscription buffer must be >= 1, got {buffer}")
        if overflow not in ("block", "drop_oldest", "latest"):
            raise ConfigError(
                f"unknown overflow policy {overflow!r} (use block, drop_oldest or latest)"
            )
        self._budget = budget if budget is not None else _LogBudget()
        self.pattern = pattern
        self.buffer = buffer
        self.overflow: Overflow = overflow
        self._buffer: deque[Delivery] = deque()
        self._latest: dict[str, Event] = {}
        self._waiter: anyio.Event | None = None
        self._space: anyio.Event | None = None
        self._closed = False
        self.delivered = 0
        self.dropped = 0
        self.burst_dropped = 0
        self.unreported = 0
        self._announced = False
        self._quiet_until = -math.inf
        self.push = {
            "block": self._push_fifo,
            "drop_oldest": self._push_drop_oldest,
            "latest": self._push_latest,
        }[overflow]

    # -- publisher side (called by the bus) --------------------------------------

    def _full(self) -> bool:
        return self.overflow == "block" and len(self._buffer) >= self.buffer

    def _push_fifo(self, item: Delivery) -> None:
        self._buffer.append(item)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.set()

    def _push_drop_oldest(self, item: Delivery) -> None:
        if len(self._buffer) >= self.buffer:
            self._buffer.popleft()
            self._drop(1)
        self._push_fifo(item)

    def _push_latest(self, item: Delivery) -> None:
        topic, event = item
        latest = self._latest
        if topic in latest:
            del latest[topic]
            self._drop(1)
        elif len(latest) >= self.buffer:
            del latest[next(iter(latest))]
            self._drop(1)
        latest[topic] = event
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            waiter.set()

    def _drop(self, n: int) -> None:
        self.dropped += n
        self.unreported += n
        now = _now()
        if not self.burst_dropped:
            if now >= self._quiet_until:
                self._announced = True
                self._quiet_until = now + LOG_INTERVAL
                self._budget.warn(
                    "bus_subscriber_dropping",
                    pattern=self.pattern,
                    overflow=self.overflow,
                    buffer=self.buffer,
                )
        elif self._announced and now >= self._quiet_until:
            # Sustained overload: one progress line per interval, not one per drop.
            self._quiet_until = now + LOG_INTERVAL
            self._report_drops("bus_subscriber_still_dropping")
        self.burst_dropped += n

    def _report_drops(self, event: str) -> None:
        """Log ``event`` with the drops since the last report and in all;
        the next report counts from here."""
        self._budget.warn(
            event,
            pattern=self.pattern,
            dropped_since_report=self.unreported,
            dropped_total=self.dropped,
        )
        self.unreported = 0

    def _close(self) -> None:
        self._closed = True
        for event in (self._waiter, self._space):
            if event is not None:
                event.set()
        self._waiter = self._space = None

    async def _wait_for_space(self) -> None:
        while self._full() and not self._closed:
            if self._space is None:
                self._space = anyio.Event()
            await self._space.wait()

    # -- subscriber side ------------------------------------------------------------

    @property
    def pending(self) -> int:
        return len(self._latest) if self.overflow == "latest" else len(self._buffer)

    def _take_all(self, limit: int | None) -> list[Delivery]:
        if self.overflow == "latest":
            items = list(self._latest.items())
            if limit is not None and len(items) > limit:
                items = items[:limit]
                for topic, _ in items:
                    del self._latest[topic]
            else:
                self._latest.clear()
        elif limit is None or len(self._buffer) <= limit:
            items = list(self._buffer)
            self._buffer.clear()
        else:
            pop = self._buffer.popleft
            items = [pop() for _ in range(limit)]
        self._taken(len(items))
        return items

    def _taken(self, n: int) -> None:
        self.delivered += n
        if self.burst_dropped and not self.pending:
            self.burst_dropped = 0
            if self._announced:
                self._announced = False
                self._report_drops("bus_subscriber_caught_up")
        space = self._space
        if space is not None and not self._full():
            self._space = None
            space.set()

    def receive_nowait(self) -> Delivery:
        """The oldest pending ``(topic, event)``; ``anyio.WouldBlock`` if none."""
        if self.overflow == "latest":
            if not self._latest:
                self._raise_empty()
            topic = next(iter(self._latest))
            item = (topic, self._latest.pop(topic))
        else:
            if not self._buffer:
                self._raise_empty()
            item = self._buffer.popleft()
        self._taken(1)
        return item

    def _raise_empty(self) -> None:
        if self._closed:
            raise anyio.EndOfStream
        raise anyio.WouldBlock

    async def _wait(self) -> None:
        while not self.pending:
            if self._closed:
                raise anyio.EndOfStream
            if self._waiter is not None:
                raise anyio.BusyResourceError("receiving from")
            waiter = self._waiter = anyio.Event()
            try:
                await waiter.wait()
            finally:
                if self._waiter is waiter:  # cancelled while parked
                    self._waiter = None

    async def receive(self) -> Delivery:
        """Wait for and return the oldest pending ``(topic, event)``."""
        if not self.pending:
            await self._wait()
        else:
            await anyio.lowlevel.checkpoint_if_cancelled()
        return self.receive_nowait()

    async def receive_batch(self, max_items: int | None = None) -> list[Delivery]:
        """Wait until something is pending, then return all of it (at most
        ``max_items``), oldest first: one wake-up for a whole burst."""
        if not self.pending:
            await self._wait()
        else:
            await anyio.lowlevel.checkpoint_if_cancelled()
        return self._take_all(max_items)

    def drain(self) -> list[Delivery]:
        """Everything pending now, without waiting (may be empty)."""
        return self._take_all(None)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Delivery:
        """``async for topic, event in subscription`` until it is closed.

        While events are pending it pops them without a scheduling round or a
        cancellation check (the backlog is finite: publishers had to yield for
        it to build up); it parks, cancellably, only when the buffer is empty.
        """
        buffer = self._buffer
        if buffer:
            self.delivered += 1
            item = buffer.popleft()
            if self._space is not None or self.burst_dropped:
                self._taken(0)
            return item
        try:
            await self._wait()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None
        return self.receive_nowait()


class Listener:
    """A function the bus calls inline for every matching event (see
    :meth:`EventBus.listen`).  ``delivered`` counts the calls; ``dropped``
    and ``pending`` are always 0 (nothing is buffered), so a listener's
    counters read like a subscription's."""

    __slots__ = ("delivered", "handler", "pattern")

    dropped = 0
    pending = 0

    def __init__(self, pattern: str, handler: Callable[[str, Event], None]) -> None:
        self.pattern = pattern
        self.handler = handler
        self.delivered = 0

    def push(self, item: Delivery) -> None:
        self.delivered += 1
        self.handler(*item)


_ROUTE_CACHE_SIZE = 65_536


class _Route(NamedTuple):
    pushes: tuple[Callable[[Delivery], None], ...]
    blockers: tuple[Subscription, ...]


class EventBus:
    """Publish events on dotted topics; subscribe with wildcard patterns.

    Usable from any anyio program (trio or asyncio); not thread-safe.
    """

    def __init__(self) -> None:
        # Subscriptions grouped by pattern (insertion-ordered dicts): routing a
        # new topic matches each distinct pattern once -- 10,000 seats sharing
        # one pattern cost one regex match, not 10,000 -- and leaving is O(1).
        self._by_pattern: dict[str, dict[Subscription | Listener, None]] = {}
        self._routes: dict[str, _Route] = {}
        self._log_budget = _LogBudget()
        self.published = 0

    def _route(self, topic: str) -> _Route:
        route = self._routes.get(topic)
        if route is None:
            matching = [
                s
                for pattern, group in self._by_pattern.items()
                if compile_pattern(pattern).match(topic)
                for s in group
            ]
            route = _Route(
                tuple(s.push for s in matching),
                tuple(s for s in matching if isinstance(s, Subscription) and s.overflow == "block"),
            )
            if len(self._routes) >= _ROUTE_CACHE_SIZE:
                self._routes.clear()  # topics come and go (match ids): stay bounded
            self._routes[topic] = route
        return route

    def publish_nowait(self, topic: str, event: Event) -> None:
        """Deliver ``event`` to every matching subscription now.

        Raises ``anyio.WouldBlock`` (delivering to nobody) if a matching
        ``block`` subscription is full.
        """
        pushes, blockers = self._route(topic)
        for subscription in blockers:
            if len(subscription._buffer) >= subscription.buffer:
                raise anyio.WouldBlock
        item = (topic, event)
        for push in pushes:
            push(item)
        self.published += 1

    async def publish(self, topic: str, event: Event) -> None:
        """Deliver ``event`` to every matching subscription.

        A checkpoint (like ``MemoryObjectSendStream.send``); then waits,
        cancellably, only while a matching ``block`` subscription is full.
        Cancelled before delivery, it delivers to nobody.
        """
        await anyio.lowlevel.checkpoint()
        while True:
            full = next((s for s in self._route(topic).blockers if s._full()), None)
            if full is None:
                break
            await full._wait_for_space()
        self.publish_nowait(topic, event)

    @asynccontextmanager
    async def subscribe(
        self, pattern: str, *, buffer: int = 1024, overflow: Overflow = "block"
    ) -> AsyncIterator[Subscription]:
        """Subscribe to topics matching ``pattern`` for the duration of the block.

        The subscription is removed when the block exits, however it exits
        (cancellation included); a publisher blocked on it is released.
        """
        compile_pattern(pattern)
        subscription = Subscription(pattern, buffer, overflow, self._log_budget)
        self._add(subscription)
        try:
            yield subscription
        finally:
            self._remove(subscription)
            subscription._close()

    @contextmanager
    def listen(self, pattern: str, handler: Callable[[str, Event], None]) -> Iterator[Listener]:
        """Call ``handler(topic, event)`` inline, in the publisher's task, for
        every event matching ``pattern`` published while the block runs.

        The handler must not block (it cannot await) and should take
        microseconds: the publisher waits for it.  Per-topic order holds as
        for subscriptions; an exception from the handler propagates to the
        publisher, and subscribers later in the route miss that event.
        """
        compile_pattern(pattern)
        listener = Listener(pattern, handler)
        self._add(listener)
        try:
            yield listener
        finally:
            self._remove(listener)

    def _add(self, subscriber: Subscription | Listener) -> None:
        self._by_pattern.setdefault(subscriber.pattern, {})[subscriber] = None
        self._routes.clear()

    def _remove(self, subscriber: Subscription | Listener) -> None:
        group = self._by_pattern[subscriber.pattern]
        del group[subscriber]
        if not group:
            del self._by_pattern[subscriber.pattern]
        self._routes.clear()

    @property
    def subscriptions(self) -> Iterator[Subscription]:
        return iter(
            [s for group in self._by_pattern.values() for s in group if isinstance(s, Subscription)]
        )

    @property
    def listeners(self) -> Iterator[Listener]:
        return iter(
            [s for group in self._by_pattern.values() for s in group if isinstance(s, Listener)]
        )
