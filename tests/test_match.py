"""The match host: turns, deadlines, real-time ticks, rejection, logs, cleanup."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import pytest

from rafa_async import (
    NOOP,
    ActionRejected,
    ConfigError,
    EventBus,
    EventRecorder,
    ListSink,
    MatchEnded,
    MatchStarted,
    MatchTransition,
    Seat,
    Step,
    TurnStarted,
    log_digest,
    open_match,
)
from rafa_async._match import Match
from rafa_async.agents import PolicyPlayer, RandomPlayer, ScriptedPlayer
from rafa_async.testing import backend_options


@dataclass(frozen=True)
class Race:
    """First to ``goal`` points; ``turn`` mode alternates A and B, ``sim`` mode
    has both act every turn (simultaneous / real-time)."""

    totals: tuple[int, int] = (0, 0)
    mover: int = 0


class RaceGame:
    name = "race"
    players = ("A", "B")

    def __init__(self, *, simultaneous: bool = False, goal: int = 3) -> None:
        self.simultaneous = simultaneous
        self.goal = goal

    def reset(self, seed: int) -> Race:
        return Race()

    def to_move(self, state: Race) -> Sequence[str]:
        if max(state.totals) >= self.goal:
            return ()
        return self.players if self.simultaneous else (self.players[state.mover],)

    def legal_actions(self, state: Race, player: str) -> Sequence[str]:
        return ("run", "walk") if player in self.to_move(state) else ()

    def step(self, state: Race, actions: Mapping[str, str]) -> Step[Race]:
        totals = list(state.totals)
        for i, player in enumerate(self.players):
            action = actions.get(player)
            if action is None:
                continue
            if action not in ("run", "walk", NOOP):
                raise ValueError(f"bad action {action!r}")
            totals[i] += {"run": 2, "walk": 1, NOOP: 0}[action]
        nxt = Race((totals[0], totals[1]), 1 - state.mover)
        return Step(nxt, done=max(nxt.totals) >= self.goal)

    def observe(self, state: Race, player: str) -> str:
        return f"{player} sees {state.totals}"

    def render(self, state: Race) -> str:
        return f"{state.totals[0]}-{state.totals[1]}"

    def scores(self, state: Race) -> dict[str, float]:
        a, b = state.totals
        if a == b:
            return {"A": 0.5, "B": 0.5}
        return {"A": float(a > b), "B": float(b > a)}


def always(action: str, *, think: float = 0.0) -> PolicyPlayer:
    return PolicyPlayer(lambda seat: action, name=action, think=think)


@pytest.mark.anyio
async def test_turn_based_match_runs_to_the_end(anyio_backend: Any) -> None:
    async with open_match(RaceGame(goal=4), {"A": always("run"), "B": always("walk")}) as match:
        result = await match.run()
    assert result.scores == {"A": 1.0, "B": 0.0}
    assert result.turns == 3
    assert result.reason == "game over"


@pytest.mark.anyio
async def test_log_starts_with_match_started_and_ends_with_match_ended(anyio_backend: Any) -> None:
    async with open_match(RaceGame(), {"A": always("run"), "B": always("run")}) as match:
        result = await match.run()
    kinds = [type(e) for e in result.log]
    assert kinds[0] is MatchStarted
    assert kinds[-1] is MatchEnded
    assert kinds.count(TurnStarted) == kinds.count(MatchTransition) == result.turns
    assert [e.seq for e in result.log] == sorted(e.seq for e in result.log)


@pytest.mark.anyio
async def test_players_see_every_turn_and_transition_on_the_bus(anyio_backend: Any) -> None:
    bus = EventBus()
    seen: list[str] = []

    async def watch() -> None:
        async with bus.subscribe("match.7.**") as events:
            ready.set()
            async for topic, _ in events:
                seen.append(topic)
                if topic.endswith(".end"):
                    return

    ready = anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(watch)
        await ready.wait()
        players = {"A": always("run"), "B": always("run")}
        async with open_match(RaceGame(), players, match_id="7", bus=bus) as match:
            await match.run()
    assert seen[0] == "match.7.start"
    assert seen[-1] == "match.7.end"
    assert seen[1:3] == ["match.7.turn", "match.7.transition"]


@pytest.mark.anyio
async def test_illegal_action_is_rejected_with_feedback_and_logged(anyio_backend: Any) -> None:
    verdicts = []

    def cheat_then_run(seat: Seat[Any]) -> str:
        verdicts.append(seat.submit("teleport"))
        return "run"

    players = {"A": PolicyPlayer(cheat_then_run), "B": always("run")}
    async with open_match(RaceGame(goal=2), players) as match:
        result = await match.run()
    assert not verdicts[0].accepted
    assert "illegal action 'teleport'" in verdicts[0].reason
    assert "run" in verdicts[0].reason  # the legal actions are listed
    rejected = [e for e in result.log if isinstance(e, ActionRejected)]
    assert [(e.player, e.action) for e in rejected] == [("A", "teleport")]
    assert result.rejected["A"] == 1


@pytest.mark.anyio
async def test_acting_out_of_turn_is_rejected(anyio_backend: Any) -> None:
    verdicts = []

    def also_try_for_b(seat: Seat[Any]) -> str:
        verdicts.append(seat.match.submit("B", "run"))
        return "run"

    players = {"A": PolicyPlayer(also_try_for_b), "B": always("walk")}
    async with open_match(RaceGame(goal=2), players) as match:
        await match.run()
    assert verdicts[0].reason == "not B's turn"


@pytest.mark.anyio
async def test_submission_for_a_finished_turn_is_refused(anyio_backend: Any) -> None:
    verdicts = []

    def stale(seat: Seat[Any]) -> str:
        verdicts.append(seat.submit("run", turn=seat.turn - 1))
        return "walk"

    async with open_match(RaceGame(goal=2), {"A": PolicyPlayer(stale), "B": always("walk")}) as m:
        await m.run()
    assert not verdicts[0].accepted
    assert "is over" in verdicts[0].reason


@pytest.mark.anyio
async def test_slow_player_gets_the_fallback_after_the_move_timeout(anyio_backend: Any) -> None:
    players = {"A": always("run", think=10.0), "B": always("run")}
    started = anyio.current_time()
    async with open_match(RaceGame(goal=2), players, move_timeout=1.0) as match:
        result = await match.run()
    transitions = [e for e in result.log if isinstance(e, MatchTransition)]
    assert transitions[0].late == ["A"]
    assert transitions[0].actions == {"A": "run"}  # fallback: first legal action
    assert result.late["A"] >= 1
    # The host never waited for the slow player beyond the deadline.
    assert anyio.current_time() - started < 10.0


@pytest.mark.anyio
async def test_move_timeouts_give_each_seat_its_own_deadline(anyio_backend: Any) -> None:
    # Simultaneous movers: A may think 5 s, B only 1 s; both think 2 s.
    game = RaceGame(simultaneous=True, goal=2)
    players = {"A": always("run", think=2.0), "B": always("run", think=2.0)}
    started = anyio.current_time()
    async with open_match(game, players, move_timeouts={"A": 5.0, "B": 1.0}) as match:
        result = await match.run()
    first = next(e for e in result.log if isinstance(e, MatchTransition))
    assert first.late == ["B"]  # B's answer came after its own deadline
    assert result.rejected["B"] >= 1
    assert result.late.get("A", 0) == 0
    # The turn ended when A acted (2 s), not at A's deadline (5 s).
    assert anyio.current_time() - started == pytest.approx(2.0 * result.turns)


def test_move_timeouts_for_an_unknown_seat_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"unknown seats \['Z'\]"):
        Match(RaceGame(), {"A": always("run"), "B": always("run")}, move_timeouts={"Z": 1.0})


@pytest.mark.anyio
async def test_decisions_time_each_seat_from_its_turn_to_its_action(anyio_backend: Any) -> None:
    players = {"A": always("run", think=0.5), "B": always("run", think=2.0)}
    async with open_match(RaceGame(goal=4), players, move_timeout=1.0) as match:
        result = await match.run()
    assert result.decisions["A"] == pytest.approx([0.5] * len(result.decisions["A"]))
    # B is late every time: its decision takes the whole deadline it missed.
    assert result.decisions["B"] == pytest.approx([1.0] * len(result.decisions["B"]))
    assert len(result.decisions["A"]) + len(result.decisions["B"]) == result.turns


@pytest.mark.anyio
async def test_turn_ends_as_soon_as_every_mover_acted(anyio_backend: Any) -> None:
    players = {"A": always("run", think=0.5), "B": always("run", think=0.5)}
    started = anyio.current_time()
    async with open_match(RaceGame(goal=4), players, move_timeout=60.0) as match:
        result = await match.run()
    assert result.turns == 3
    assert anyio.current_time() - started == pytest.approx(1.5)


@pytest.mark.anyio
async def test_realtime_ticks_advance_on_a_fixed_clock(anyio_backend: Any) -> None:
    game = RaceGame(simultaneous=True, goal=6)
    started = anyio.current_time()
    async with open_match(
        game, {"A": always("walk"), "B": always("walk")}, clock="realtime", tick=0.5
    ) as match:
        result = await match.run()
    assert result.turns == 6
    assert anyio.current_time() - started == pytest.approx(3.0)
    assert result.overruns == 0


@pytest.mark.anyio
async def test_realtime_late_player_gets_a_noop_and_is_counted(anyio_backend: Any) -> None:
    game = RaceGame(simultaneous=True, goal=4)
    players = {"A": always("walk", think=0.8), "B": always("walk")}
    async with open_match(game, players, clock="realtime", tick=0.5) as match:
        result = await match.run()
    first = next(e for e in result.log if isinstance(e, MatchTransition))
    assert first.actions == {"A": NOOP, "B": "walk"}
    assert first.late == ["A"]
    assert result.late["A"] >= 1
    assert result.scores == {"A": 0.0, "B": 1.0}


@pytest.mark.anyio
async def test_players_are_cancelled_and_unsubscribed_after_the_match(anyio_backend: Any) -> None:
    bus = EventBus()
    finished = []

    class Lingerer:
        name = "lingerer"

        async def play(self, seat: Seat[Any]) -> None:
            try:
                await anyio.sleep_forever()
            finally:
                finished.append(seat.player)

    players = {"A": Lingerer(), "B": Lingerer()}
    async with open_match(RaceGame(), players, bus=bus, move_timeout=1.0) as match:
        await match.run()
    assert sorted(finished) == ["A", "B"]
    assert list(bus.subscriptions) == []


class Search:
    """A CPU-heavy policy whose search does not end until ``release`` is set."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.finished = threading.Event()

    def __call__(self, seat: Seat[Any]) -> str:
        self.release.wait(10.0)
        self.finished.set()
        return "walk"


@pytest.fixture
def search() -> Iterator[Search]:
    """A :class:`Search`, released however the test ends."""
    search = Search()
    yield search
    search.release.set()


@pytest.mark.anyio
async def test_a_cpu_heavy_policy_does_not_hold_up_the_host(
    anyio_backend: Any, search: Search
) -> None:
    players = {"A": PolicyPlayer(search, cpu_heavy=True), "B": always("walk")}
    async with open_match(RaceGame(goal=2), players, move_timeout=5.0) as match:
        result = await match.run()
    # The host kept its deadline while A searched: A was late (and played the
    # fallback, a winning "run"), and the search was abandoned, not awaited.
    assert result.late["A"] == 1
    assert result.scores == {"A": 1.0, "B": 0.0}
    assert not search.finished.is_set()


@pytest.mark.anyio
async def test_cancelling_a_match_abandons_a_policy_mid_search(
    anyio_backend: Any, search: Search
) -> None:
    players = {"A": PolicyPlayer(search, cpu_heavy=True), "B": always("walk")}
    with anyio.move_on_after(60.0) as scope:
        async with open_match(RaceGame(goal=2), players) as match:
            await match.run()
    assert scope.cancelled_caught
    assert not search.finished.is_set()


def test_a_policy_says_whether_it_is_cpu_heavy() -> None:
    heavy = Search()
    heavy.cpu_heavy = True  # type: ignore[attr-defined]
    assert PolicyPlayer(heavy).cpu_heavy
    assert not PolicyPlayer(Search()).cpu_heavy
    assert not PolicyPlayer(heavy, cpu_heavy=False).cpu_heavy


def test_seats_must_match_the_game() -> None:
    with pytest.raises(ConfigError, match="missing"):
        anyio.run(_open_with, {"A": always("run")})


async def _open_with(players: Mapping[str, Any]) -> None:
    async with open_match(RaceGame(), players) as match:
        await match.run()


def _digest(backend: str) -> str:
    async def main() -> str:
        sink = ListSink()
        players = {"A": RandomPlayer(1), "B": ScriptedPlayer(["walk", "run", "walk"])}
        async with open_match(RaceGame(goal=5), players, recorder=EventRecorder(sink)) as match:
            await match.run()
        return log_digest(sink.events)

    return anyio.run(main, backend=backend, backend_options=backend_options(backend))


def test_same_seed_gives_the_same_log_digest_on_trio_and_asyncio() -> None:
    assert _digest("trio") == _digest("asyncio") == _digest("trio")


class Echo:
    """A reactive player: takes events inline, acts from its own task."""

    name = "echo"

    def __init__(self) -> None:
        self.heard: list[str] = []
        self.turns: list[int] = []
        self.wake = anyio.Event()
        self.inbox_error: str = ""

    def on_event(self, seat: Seat[Any], topic: str, event: Any) -> None:
        self.heard.append(topic.rsplit(".", 1)[-1])
        if isinstance(event, TurnStarted) and seat.called(event):
            self.turns.append(event.turn)
            self.wake.set()

    async def play(self, seat: Seat[Any]) -> None:
        try:
            seat.events  # noqa: B018
        except RuntimeError as error:
            self.inbox_error = str(error)
        while True:
            await self.wake.wait()
            self.wake = anyio.Event()
            seat.submit("run", turn=self.turns[-1])


@pytest.mark.anyio
async def test_reactive_player_hears_every_event_inline_and_has_no_inbox(
    anyio_backend: Any,
) -> None:
    bus = EventBus()
    echo = Echo()
    async with open_match(RaceGame(goal=4), {"A": echo, "B": always("walk")}, bus=bus) as match:
        assert len(list(bus.listeners)) == 1  # A listens; B has an inbox
        assert len(list(bus.subscriptions)) == 1
        result = await match.run()
    assert result.scores == {"A": 1.0, "B": 0.0}
    assert echo.heard[0] == "start" and echo.heard[-1] == "end"
    assert echo.heard.count("turn") == result.turns
    assert echo.turns == [1, 3]
    assert "reactive" in echo.inbox_error
    assert list(bus.listeners) == []


@pytest.mark.anyio
async def test_match_without_keep_log_still_records_to_its_recorder(anyio_backend: Any) -> None:
    sink = ListSink()
    players = {"A": always("run"), "B": always("run")}
    async with open_match(
        RaceGame(), players, recorder=EventRecorder(sink), keep_log=False
    ) as match:
        result = await match.run()
    assert result.log == []
    assert isinstance(sink.events[0], MatchStarted)
    assert isinstance(sink.events[-1], MatchEnded)
