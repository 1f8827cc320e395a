"""The event bus: routing, ordering, overflow policies, receiving, cancellation."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest
from anyio.abc import TaskStatus
from structlog.testing import capture_logs

from rafa_async import ConfigError, Event, EventBus, Overflow, Subscription
from rafa_async._bus import LOG_INTERVAL, compile_pattern


class Tick(Event):
    n: int


def tick(n: int) -> Tick:
    return Tick(n=n)


def numbers(deliveries: list[tuple[str, Event]]) -> list[int]:
    return [event.n for _, event in deliveries if isinstance(event, Tick)]


def events_named(logs: Sequence[Mapping[str, Any]], name: str) -> list[Mapping[str, Any]]:
    return [entry for entry in logs if entry["event"] == name]


# -- patterns ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        ("match.*.turn", "match.42.turn", True),
        ("match.*.turn", "match.turn", False),
        ("match.*.turn", "match.1.2.turn", False),
        ("match.42.*", "match.42.turn", True),
        ("match.42.*", "match.42.turn.x", False),
        ("match.42.*", "match.42", False),
        ("*", "match", True),
        ("*", "match.42", False),
    ],
)
def test_star_matches_exactly_one_segment(pattern: str, topic: str, matches: bool) -> None:
    assert bool(compile_pattern(pattern).match(topic)) is matches


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        ("match.**", "match", True),
        ("match.**", "match.42", True),
        ("match.**", "match.42.turn.x", True),
        ("match.**", "matches.42", False),
        ("match.**.end", "match.end", True),
        ("match.**.end", "match.42.end", True),
        ("match.**.end", "match.42.turn.end", True),
        ("match.**.end", "match.42.turn", False),
        ("**.end", "end", True),
        ("**.end", "match.42.end", True),
        ("**.end", "match.42.ending", False),
        ("**", "anything.at.all", True),
        ("**.**", "match", True),
        ("match.**.**.end", "match.end", True),
        ("*.**", "match", True),
        ("**.*", "match.42", True),
    ],
)
def test_double_star_matches_any_number_of_segments_including_zero(
    pattern: str, topic: str, matches: bool
) -> None:
    assert bool(compile_pattern(pattern).match(topic)) is matches


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        ("match.1", "match.1", True),
        ("match.1", "match.10", False),
        ("match.1", "match.1.turn", False),
        ("match.1", "match", False),
        ("a+b.c", "a+b.c", True),
        ("a+b.c", "aab.c", False),
        ("a.b", "aXb", False),
    ],
)
def test_literal_segments_match_only_themselves(pattern: str, topic: str, matches: bool) -> None:
    assert bool(compile_pattern(pattern).match(topic)) is matches


@pytest.mark.parametrize("pattern", ["", ".", "a..b", ".a", "a.", "a**", "**a", "a.b**.c"])
def test_bad_pattern_raises_config_error(pattern: str) -> None:
    with pytest.raises(ConfigError, match="bad topic pattern"):
        compile_pattern(pattern)


@pytest.mark.anyio
async def test_subscribing_with_a_bad_pattern_raises_config_error(anyio_backend: Any) -> None:
    bus = EventBus()
    with pytest.raises(ConfigError, match="empty segment"):
        async with bus.subscribe("match..turn"):
            pass
    assert list(bus.subscriptions) == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("options", "message"),
    [({"buffer": 0}, "buffer must be >= 1"), ({"overflow": "newest"}, "unknown overflow")],
)
async def test_bad_subscription_options_raise_config_error(
    anyio_backend: Any, options: dict[str, Any], message: str
) -> None:
    bus = EventBus()
    with pytest.raises(ConfigError, match=message):
        async with bus.subscribe("a", **options):
            pass
    assert list(bus.subscriptions) == []


# -- routing -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_events_reach_exactly_the_matching_subscriptions(anyio_backend: Any) -> None:
    bus = EventBus()
    async with (
        bus.subscribe("match.*.turn") as turns,
        bus.subscribe("match.**") as everything,
        bus.subscribe("match.7.turn") as seven,
    ):
        await bus.publish("match.7.turn", tick(0))
        await bus.publish("match.8.turn", tick(1))
        await bus.publish("match.8", tick(2))
        await bus.publish("match.8.turn.late", tick(3))
        assert numbers(turns.drain()) == [0, 1]
        assert numbers(everything.drain()) == [0, 1, 2, 3]
        assert numbers(seven.drain()) == [0]


@pytest.mark.anyio
async def test_topic_without_subscribers_is_delivered_to_nobody(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("match.*") as sub:
        await bus.publish("other.1", tick(0))
        bus.publish_nowait("other.1", tick(1))
        assert sub.pending == 0
        assert sub.delivered == 0
    assert bus.published == 2


@pytest.mark.anyio
async def test_routes_follow_subscriptions_as_they_come_and_go(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("a.*") as first:
        await bus.publish("a.b", tick(0))  # the route for "a.b" is now cached
        async with bus.subscribe("a.b") as second:
            await bus.publish("a.b", tick(1))
        await bus.publish("a.b", tick(2))
        assert numbers(first.drain()) == [0, 1, 2]
        assert numbers(second.drain()) == [1]
        assert list(bus.subscriptions) == [first]
    await bus.publish("a.b", tick(3))
    assert first.delivered == 3
    assert list(bus.subscriptions) == []


# -- ordering ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_subscription_sees_events_in_publication_order(anyio_backend: Any) -> None:
    bus = EventBus()
    published: list[int] = []

    async def publisher(first: int) -> None:
        for n in range(first, first + 50):
            await bus.publish(f"p.{first}", tick(n))
            published.append(n)  # publish returned without yielding since delivery

    async with bus.subscribe("p.*", buffer=3) as sub:
        received: list[int] = []
        async with anyio.create_task_group() as tg:
            tg.start_soon(publisher, 0)
            tg.start_soon(publisher, 1000)
            while len(received) < 100:
                received.extend(numbers(await sub.receive_batch()))
                await anyio.sleep(0.01)
    assert received == published
    assert published != sorted(published)  # the publishers really interleaved


@pytest.mark.anyio
async def test_per_topic_order_holds_across_interleaved_topics(anyio_backend: Any) -> None:
    bus = EventBus()
    rng = random.Random(7)
    topics = [f"t.{rng.choice('abc')}" for _ in range(300)]

    async def slow_consumer(sub: Subscription, out: list[tuple[str, int]]) -> None:
        async for topic, event in sub:
            assert isinstance(event, Tick)
            out.append((topic, event.n))
            await anyio.sleep(0.001)

    every: list[tuple[str, int]] = []
    only_b: list[tuple[str, int]] = []
    async with (
        anyio.create_task_group() as tg,
        bus.subscribe("t.*", buffer=3) as all_topics,
        bus.subscribe("t.b") as b,
    ):
        tg.start_soon(slow_consumer, all_topics, every)
        tg.start_soon(slow_consumer, b, only_b)
        for n, topic in enumerate(topics):
            await bus.publish(topic, tick(n))

    assert every == [(t, n) for n, t in enumerate(topics)]
    for name in "abc":
        per_topic = [n for t, n in every if t == f"t.{name}"]
        assert per_topic == [n for n, t in enumerate(topics) if t == f"t.{name}"]
    assert only_b == [(t, n) for n, t in enumerate(topics) if t == "t.b"]


# -- overflow: block -----------------------------------------------------------------


@pytest.mark.anyio
async def test_block_burst_larger_than_buffer_loses_nothing_with_slow_consumer(
    anyio_backend: Any,
) -> None:
    bus = EventBus()
    received: list[int] = []

    async def slow_consumer(sub: Subscription) -> None:
        async for _, event in sub:
            assert isinstance(event, Tick)
            received.append(event.n)
            await anyio.sleep(0.01)

    async with (
        anyio.create_task_group() as tg,
        bus.subscribe("t", buffer=4, overflow="block") as sub,
    ):
        tg.start_soon(slow_consumer, sub)
        start = anyio.current_time()
        for n in range(1000):
            await bus.publish("t", tick(n))
        publishing_took = anyio.current_time() - start
    assert received == list(range(1000))
    assert sub.delivered == bus.published == 1000
    assert sub.dropped == 0
    assert publishing_took > 0.01 * (1000 - 4 - 2)  # the publisher waited for the consumer


@pytest.mark.anyio
async def test_block_publisher_waits_while_the_buffer_is_full(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t", buffer=2, overflow="block") as sub:
        bus.publish_nowait("t", tick(0))
        bus.publish_nowait("t", tick(1))
        done = anyio.Event()

        async def publisher() -> None:
            await bus.publish("t", tick(2))
            done.set()

        async with anyio.create_task_group() as tg:
            tg.start_soon(publisher)
            await anyio.wait_all_tasks_blocked()
            assert not done.is_set()
            assert sub.pending == 2
            assert numbers([sub.receive_nowait()]) == [0]
            await done.wait()
        assert numbers(sub.drain()) == [1, 2]


@pytest.mark.anyio
async def test_publish_nowait_to_a_full_block_subscriber_raises_and_delivers_to_nobody(
    anyio_backend: Any,
) -> None:
    bus = EventBus()
    async with (
        bus.subscribe("t", buffer=10, overflow="drop_oldest") as roomy,
        bus.subscribe("t", buffer=1, overflow="block") as full,
    ):
        bus.publish_nowait("t", tick(0))
        with pytest.raises(anyio.WouldBlock):
            bus.publish_nowait("t", tick(1))
        assert numbers(full.drain()) == [0]
        assert numbers(roomy.drain()) == [0]
        assert bus.published == 1


@pytest.mark.anyio
async def test_blocked_publisher_is_released_when_the_subscription_exits(
    anyio_backend: Any,
) -> None:
    bus = EventBus()
    done = anyio.Event()

    async def publisher() -> None:
        await bus.publish("t", tick(1))
        done.set()

    async with bus.subscribe("t", overflow="drop_oldest") as other:
        async with anyio.create_task_group() as tg:
            async with bus.subscribe("t", buffer=1, overflow="block") as full:
                bus.publish_nowait("t", tick(0))
                tg.start_soon(publisher)
                await anyio.wait_all_tasks_blocked()
                assert not done.is_set()
            await done.wait()
        assert numbers(other.drain()) == [0, 1]
    assert numbers(full.drain()) == [0]  # pending before the exit; nothing after it


# -- overflow: drop_oldest -----------------------------------------------------------


@pytest.mark.anyio
async def test_drop_oldest_keeps_the_newest_buffer_events(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t", buffer=3, overflow="drop_oldest") as sub:
        for n in range(10):
            await bus.publish("t", tick(n))
        assert sub.dropped == 7
        assert numbers(sub.drain()) == [7, 8, 9]
        assert sub.delivered == 3


@pytest.mark.anyio
async def test_drop_oldest_publisher_never_waits(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t", buffer=1, overflow="drop_oldest") as sub:
        for n in range(100):
            bus.publish_nowait("t", tick(n))  # would raise WouldBlock if it had to wait
        assert numbers(sub.drain()) == [99]
        assert sub.dropped == 99


# -- overflow: latest ----------------------------------------------------------------


@pytest.mark.anyio
async def test_latest_keeps_only_the_newest_event_per_topic(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t.*", buffer=8, overflow="latest") as sub:
        for topic, n in [("t.a", 1), ("t.b", 2), ("t.a", 3), ("t.a", 4), ("t.b", 5), ("t.c", 6)]:
            await bus.publish(topic, tick(n))
        assert sub.pending == 3
        assert sub.dropped == 3
        assert {topic: event for topic, event in sub.drain()} == {
            "t.a": tick(4),
            "t.b": tick(5),
            "t.c": tick(6),
        }
        assert sub.delivered == 3


@pytest.mark.anyio
async def test_latest_holds_at_most_buffer_topics_dropping_the_stalest(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t.*", buffer=2, overflow="latest") as sub:
        for topic, n in [("t.a", 1), ("t.b", 2), ("t.c", 3)]:
            await bus.publish(topic, tick(n))
        assert sub.dropped == 1
        assert sub.drain() == [("t.b", tick(2)), ("t.c", tick(3))]


@pytest.mark.anyio
async def test_latest_delivers_the_newest_value_of_each_topic_to_a_slow_consumer(
    anyio_backend: Any,
) -> None:
    bus = EventBus()
    last_seen: dict[str, int] = {}

    async def slow_consumer(sub: Subscription) -> None:
        async for topic, event in sub:
            assert isinstance(event, Tick)
            assert event.n > last_seen.get(topic, -1)  # never an older value
            last_seen[topic] = event.n
            await anyio.sleep(1)

    async with anyio.create_task_group() as tg, bus.subscribe("t.*", overflow="latest") as sub:
        tg.start_soon(slow_consumer, sub)
        for n in range(500):
            await bus.publish(f"t.{n % 5}", tick(n))
    assert last_seen == {f"t.{k}": 495 + k for k in range(5)}
    assert sub.delivered + sub.dropped == 500
    assert sub.dropped > 0


# -- slow subscribers never stall the publisher ---------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("overflow", ["drop_oldest", "latest"])
async def test_slow_subscriber_with_a_drop_policy_never_stalls_the_publisher(
    anyio_backend: Any, overflow: Overflow
) -> None:
    bus = EventBus()

    async def slow_consumer(sub: Subscription) -> None:
        async for _ in sub:
            await anyio.sleep(1)

    async with anyio.create_task_group() as tg:
        async with bus.subscribe("t.*", buffer=4, overflow=overflow) as sub:
            tg.start_soon(slow_consumer, sub)
            await anyio.wait_all_tasks_blocked()
            start = anyio.current_time()
            for n in range(1000):
                await bus.publish(f"t.{n % 3}", tick(n))
            assert anyio.current_time() == start
        assert bus.published == 1000
        assert sub.dropped > 900


# -- drops are logged once per burst ---------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(("overflow", "dropped"), [("drop_oldest", 8), ("latest", 9)])
async def test_drops_are_logged_when_a_burst_starts_and_when_the_subscriber_catches_up(
    anyio_backend: Any, overflow: Overflow, dropped: int
) -> None:
    bus = EventBus()
    async with bus.subscribe("t", buffer=2, overflow=overflow) as sub:
        with capture_logs() as logs:
            for n in range(10):
                bus.publish_nowait("t", tick(n))
            assert [entry["event"] for entry in logs] == ["bus_subscriber_dropping"]
            assert logs[0]["log_level"] == "warning"
            assert logs[0]["overflow"] == overflow
            while sub.pending:
                await sub.receive()
        caught_up = events_named(logs, "bus_subscriber_caught_up")
        assert len(caught_up) == 1
        assert caught_up[0]["dropped_since_report"] == dropped
        assert caught_up[0]["dropped_total"] == dropped == sub.dropped


@pytest.mark.anyio
async def test_a_burst_still_being_drained_is_not_reported_as_caught_up(
    anyio_backend: Any,
) -> None:
    bus = EventBus()
    async with bus.subscribe("t", buffer=4, overflow="drop_oldest") as sub:
        with capture_logs() as logs:
            for n in range(10):
                bus.publish_nowait("t", tick(n))
            await sub.receive_batch(max_items=2)
            bus.publish_nowait("t", tick(10))
            assert [entry["event"] for entry in logs] == ["bus_subscriber_dropping"]
            await sub.receive_batch()
        assert [entry["event"] for entry in logs] == [
            "bus_subscriber_dropping",
            "bus_subscriber_caught_up",
        ]
        assert logs[1]["dropped_since_report"] == 6


@pytest.mark.anyio
async def test_each_new_burst_of_drops_is_logged_again(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t", buffer=2, overflow="drop_oldest") as sub:
        with capture_logs() as logs:
            for burst in (5, 7):
                for n in range(burst):
                    bus.publish_nowait("t", tick(n))
                await sub.receive_batch()
                await anyio.sleep(LOG_INTERVAL)
        assert [(entry["event"], entry.get("dropped_since_report")) for entry in logs] == [
            ("bus_subscriber_dropping", None),
            ("bus_subscriber_caught_up", 3),
            ("bus_subscriber_dropping", None),
            ("bus_subscriber_caught_up", 5),
        ]
        assert logs[-1]["dropped_total"] == sub.dropped == 8


@pytest.mark.anyio
async def test_bursts_within_the_log_interval_are_reported_together(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t", buffer=2, overflow="drop_oldest") as sub:
        with capture_logs() as logs:
            for _ in range(3):  # three bursts of 3 drops, back to back
                for n in range(5):
                    bus.publish_nowait("t", tick(n))
                await sub.receive_batch()
            await anyio.sleep(LOG_INTERVAL)
            for n in range(5):
                bus.publish_nowait("t", tick(n))
            await sub.receive_batch()
        assert [(entry["event"], entry.get("dropped_since_report")) for entry in logs] == [
            ("bus_subscriber_dropping", None),
            ("bus_subscriber_caught_up", 3),
            ("bus_subscriber_dropping", None),
            ("bus_subscriber_caught_up", 9),
        ]
        assert sub.dropped == 12


@pytest.mark.anyio
async def test_sustained_overload_logs_progress_once_per_interval(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t", buffer=1, overflow="drop_oldest"):
        with capture_logs() as logs:
            for _ in range(3):
                for n in range(100):
                    bus.publish_nowait("t", tick(n))
                await anyio.sleep(LOG_INTERVAL)
        names = [entry["event"] for entry in logs]
        assert names == ["bus_subscriber_dropping"] + ["bus_subscriber_still_dropping"] * 2


@pytest.mark.anyio
async def test_two_parked_receivers_on_one_subscription_are_refused(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t") as sub, anyio.create_task_group() as tg:
        tg.start_soon(sub.receive)
        await anyio.sleep(0.1)
        with pytest.raises(anyio.BusyResourceError):
            await sub.receive()
        tg.cancel_scope.cancel()


# -- counters and receiving ------------------------------------------------------------


@pytest.mark.anyio
async def test_counters_track_delivered_dropped_and_pending(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t", buffer=3, overflow="drop_oldest") as sub:
        assert (sub.delivered, sub.dropped, sub.pending) == (0, 0, 0)
        for n in range(5):
            bus.publish_nowait("t", tick(n))
        assert (sub.delivered, sub.dropped, sub.pending) == (0, 2, 3)
        await sub.receive()
        assert (sub.delivered, sub.dropped, sub.pending) == (1, 2, 2)
        sub.drain()
        assert (sub.delivered, sub.dropped, sub.pending) == (3, 2, 0)
        assert bus.published == 5


@pytest.mark.anyio
async def test_receive_returns_the_oldest_pending_topic_and_event(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t.*") as sub:
        await bus.publish("t.a", tick(0))
        await bus.publish("t.b", tick(1))
        assert await sub.receive() == ("t.a", tick(0))
        assert sub.receive_nowait() == ("t.b", tick(1))


@pytest.mark.anyio
async def test_receive_waits_until_an_event_is_published(anyio_backend: Any) -> None:
    bus = EventBus()

    async def publish_later() -> None:
        await anyio.sleep(5)
        await bus.publish("t", tick(0))

    async with bus.subscribe("t") as sub, anyio.create_task_group() as tg:
        tg.start_soon(publish_later)
        start = anyio.current_time()
        assert await sub.receive() == ("t", tick(0))
        assert anyio.current_time() - start == pytest.approx(5)


@pytest.mark.anyio
@pytest.mark.parametrize("overflow", ["block", "drop_oldest", "latest"])
async def test_receive_nowait_raises_would_block_when_nothing_is_pending(
    anyio_backend: Any, overflow: Overflow
) -> None:
    bus = EventBus()
    async with bus.subscribe("t", overflow=overflow) as sub:
        with pytest.raises(anyio.WouldBlock):
            sub.receive_nowait()
        bus.publish_nowait("t", tick(0))
        sub.receive_nowait()
        with pytest.raises(anyio.WouldBlock):
            sub.receive_nowait()


@pytest.mark.anyio
async def test_receive_batch_returns_a_whole_burst_after_one_wake_up(anyio_backend: Any) -> None:
    bus = EventBus()
    batches: list[list[int]] = []

    async def consumer(sub: Subscription) -> None:
        batches.append(numbers(await sub.receive_batch()))

    async with bus.subscribe("t") as sub, anyio.create_task_group() as tg:
        tg.start_soon(consumer, sub)
        await anyio.wait_all_tasks_blocked()
        for n in range(50):
            bus.publish_nowait("t", tick(n))
    assert batches == [list(range(50))]


@pytest.mark.anyio
@pytest.mark.parametrize("overflow", ["block", "drop_oldest", "latest"])
async def test_receive_batch_honours_max_items(anyio_backend: Any, overflow: Overflow) -> None:
    bus = EventBus()
    async with bus.subscribe("t.*", overflow=overflow) as sub:
        for n in range(10):
            bus.publish_nowait(f"t.{n}", tick(n))
        assert numbers(await sub.receive_batch(max_items=4)) == [0, 1, 2, 3]
        assert sub.pending == 6
        assert numbers(await sub.receive_batch(max_items=100)) == [4, 5, 6, 7, 8, 9]
        assert sub.delivered == 10


@pytest.mark.anyio
async def test_drain_returns_what_is_pending_without_waiting(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t") as sub:
        assert sub.drain() == []
        bus.publish_nowait("t", tick(0))
        bus.publish_nowait("t", tick(1))
        assert numbers(sub.drain()) == [0, 1]
        assert sub.drain() == []


@pytest.mark.anyio
@pytest.mark.parametrize("overflow", ["block", "drop_oldest", "latest"])
async def test_async_for_delivers_pending_events_then_ends_when_the_subscription_exits(
    anyio_backend: Any, overflow: Overflow
) -> None:
    bus = EventBus()
    received: list[int] = []

    async def consumer(sub: Subscription) -> None:
        async for _, event in sub:
            assert isinstance(event, Tick)
            received.append(event.n)
            await anyio.sleep(1)

    async with anyio.create_task_group() as tg, bus.subscribe("t.*", overflow=overflow) as sub:
        tg.start_soon(consumer, sub)
        for n in range(5):
            await bus.publish(f"t.{n}", tick(n))
    assert received == [0, 1, 2, 3, 4]
    assert sub.delivered == 5


# -- closing and cancellation -----------------------------------------------------------


@pytest.mark.anyio
async def test_receiving_after_the_subscription_exits_raises_end_of_stream(
    anyio_backend: Any,
) -> None:
    bus = EventBus()
    async with bus.subscribe("t") as sub:
        pass
    await bus.publish("t", tick(0))
    with pytest.raises(anyio.EndOfStream):
        await sub.receive()
    with pytest.raises(anyio.EndOfStream):
        await sub.receive_batch()
    with pytest.raises(anyio.EndOfStream):
        sub.receive_nowait()
    assert sub.drain() == []
    assert [item async for item in sub] == []


@pytest.mark.anyio
async def test_parked_receiver_gets_end_of_stream_when_the_subscription_exits(
    anyio_backend: Any,
) -> None:
    bus = EventBus()
    outcome: list[str] = []

    async def receiver(sub: Subscription) -> None:
        try:
            await sub.receive()
        except anyio.EndOfStream:
            outcome.append("end of stream")

    async with anyio.create_task_group() as tg, bus.subscribe("t") as sub:
        tg.start_soon(receiver, sub)
        await anyio.wait_all_tasks_blocked()
    assert outcome == ["end of stream"]


@pytest.mark.anyio
async def test_cancelled_subscriber_task_removes_its_subscription(anyio_backend: Any) -> None:
    bus = EventBus()
    received: list[int] = []

    async def subscriber(*, task_status: TaskStatus[Subscription]) -> None:
        async with bus.subscribe("a.*") as sub:
            task_status.started(sub)
            async for _, event in sub:
                assert isinstance(event, Tick)
                received.append(event.n)

    async with anyio.create_task_group() as tg:
        sub = await tg.start(subscriber)
        await bus.publish("a.x", tick(0))
        await anyio.wait_all_tasks_blocked()
        tg.cancel_scope.cancel()
    assert list(bus.subscriptions) == []
    await bus.publish("a.x", tick(1))
    assert received == [0]
    assert (sub.delivered, sub.pending) == (1, 0)


@pytest.mark.anyio
@pytest.mark.parametrize("overflow", ["block", "drop_oldest", "latest"])
async def test_cancelled_parked_receiver_leaves_the_subscription_usable(
    anyio_backend: Any, overflow: Overflow
) -> None:
    bus = EventBus()
    async with bus.subscribe("t", overflow=overflow) as sub:
        with anyio.move_on_after(1) as scope:
            await sub.receive()
        assert scope.cancelled_caught
        with anyio.move_on_after(1) as scope:
            await sub.receive_batch()
        assert scope.cancelled_caught
        await bus.publish("t", tick(0))
        assert await sub.receive() == ("t", tick(0))
        assert sub.delivered == 1


@pytest.mark.anyio
async def test_cancelled_blocked_publisher_delivers_nothing(anyio_backend: Any) -> None:
    bus = EventBus()
    async with (
        bus.subscribe("t", overflow="drop_oldest") as other,
        bus.subscribe("t", buffer=1, overflow="block") as full,
    ):
        await bus.publish("t", tick(0))
        with anyio.move_on_after(1) as scope:
            await bus.publish("t", tick(1))
        assert scope.cancelled_caught
        assert numbers(full.drain()) == [0]
        assert numbers(other.drain()) == [0]
        assert bus.published == 1
        await bus.publish("t", tick(2))  # the bus still works after the cancellation
        assert numbers(full.drain()) == [2]


@pytest.mark.anyio
async def test_publish_in_a_cancelled_scope_delivers_nothing(anyio_backend: Any) -> None:
    bus = EventBus()
    async with bus.subscribe("t") as sub:
        with anyio.CancelScope() as scope:
            scope.cancel()
            await bus.publish("t", tick(0))
        assert sub.pending == 0
        assert bus.published == 0


@pytest.mark.anyio
async def test_many_overflowing_subscriptions_share_one_warning_budget(anyio_backend: Any) -> None:
    from rafa_async._bus import BUS_WARNINGS_PER_INTERVAL

    bus = EventBus()
    async with AsyncExitStack() as stack:
        subs = [
            await stack.enter_async_context(bus.subscribe("t", buffer=1, overflow="drop_oldest"))
            for _ in range(BUS_WARNINGS_PER_INTERVAL * 3)
        ]
        with capture_logs() as logs:
            for n in range(3):
                bus.publish_nowait("t", tick(n))
            assert len(logs) == BUS_WARNINGS_PER_INTERVAL
            await anyio.sleep(LOG_INTERVAL)
            bus.publish_nowait("t", tick(9))
        assert all(sub.dropped == 3 for sub in subs)
        assert (
            logs[BUS_WARNINGS_PER_INTERVAL]["suppressed_warnings"] == BUS_WARNINGS_PER_INTERVAL * 2
        )


# -- listeners (inline handlers) ----------------------------------------------------------


@pytest.mark.anyio
async def test_listener_is_called_inline_in_publication_order(anyio_backend: Any) -> None:
    bus = EventBus()
    seen: list[tuple[str, int]] = []
    with bus.listen("a.*", lambda topic, event: seen.append((topic, event.n))) as listener:
        bus.publish_nowait("a.x", tick(1))
        assert seen == [("a.x", 1)]  # before publish_nowait returned: no task switch
        await bus.publish("a.y", tick(2))
        bus.publish_nowait("b.x", tick(3))
    assert seen == [("a.x", 1), ("a.y", 2)]
    assert listener.delivered == 2


@pytest.mark.anyio
async def test_listener_stops_hearing_when_its_block_exits(anyio_backend: Any) -> None:
    bus = EventBus()
    seen: list[int] = []
    with bus.listen("**", lambda topic, event: seen.append(event.n)):
        bus.publish_nowait("t", tick(1))
    bus.publish_nowait("t", tick(2))
    assert seen == [1]
    assert list(bus.listeners) == []


@pytest.mark.anyio
async def test_listener_error_propagates_to_the_publisher(anyio_backend: Any) -> None:
    bus = EventBus()

    def fail(topic: str, event: Event) -> None:
        raise RuntimeError(f"cannot handle {topic}")

    with bus.listen("t", fail), pytest.raises(RuntimeError, match="cannot handle t"):
        bus.publish_nowait("t", tick(1))


@pytest.mark.anyio
async def test_listeners_and_subscriptions_see_the_same_order(anyio_backend: Any) -> None:
    bus = EventBus()
    heard: list[int] = []
    with bus.listen("t.*", lambda topic, event: heard.append(event.n)):
        async with bus.subscribe("t.*", buffer=100) as sub:
            for n in range(20):
                bus.publish_nowait(f"t.{n % 3}", tick(n))
            assert numbers(sub.drain()) == heard == list(range(20))


def test_listener_pattern_is_checked() -> None:
    with pytest.raises(ConfigError, match="empty segment"), EventBus().listen("a..b", print):
        pass
