"""``MatchManager``, the library core of ``rafa serve``: anyio-only, so on
trio and asyncio, under virtual time."""

from __future__ import annotations

from typing import Any

import pytest

from rafa_async import ConfigError
from rafa_async.server import (
    MatchLimitReached,
    MatchManager,
    MatchRequest,
    UnknownMatch,
)

pytestmark = pytest.mark.anyio

TICTACTOE = MatchRequest(game="tictactoe", seats={"X": "rafa", "O": "random"}, seed=3)


async def watch_all(manager: MatchManager, match_id: str) -> list[dict[str, Any]]:
    async with manager.subscribe(match_id) as watch:
        return [message async for message in watch]


async def test_a_watcher_gets_the_snapshot_then_every_turn_then_the_close() -> None:
    async with MatchManager() as manager:
        match_id = manager.start(TICTACTOE)
        messages = await watch_all(manager, match_id)
        view = manager.get(match_id)

    assert messages[0]["type"] == "Snapshot"
    assert messages[0]["match"]["status"] == "running"
    assert messages[0]["match"]["simulated"] is True
    types = [m["type"] for m in messages]
    assert types[-2:] == ["MatchEnded", "MatchClosed"]
    assert messages[-1]["status"] == "finished"
    assert {"TurnStarted", "MatchTransition", "PlanCompleted", "LLMCallEnded"} <= set(types)
    assert view.status == "finished"
    assert view.result is not None and view.result.simulated
    assert view.result.match == match_id
    assert len(view.moves) == view.result.turns
    assert "X" in view.plans
    assert manager.llm_calls["ok"] == view.result.llm_calls


async def test_a_watcher_that_keeps_up_sees_every_llm_call_start_and_end() -> None:
    # RAFA starts its candidates' calls in one tick: each call has its own
    # topic, so conflation (the slow watcher's policy) never hides one.
    async with MatchManager() as manager:
        match_id = manager.start(TICTACTOE)
        messages = await watch_all(manager, match_id)
        view = manager.get(match_id)
        drops = manager.drops

    assert view.result is not None
    started = [m for m in messages if m["type"] == "LLMCallStarted"]
    ended = [m for m in messages if m["type"] == "LLMCallEnded"]
    assert len(started) == len(ended) == view.result.llm_calls > 0
    assert drops == 0


async def test_a_late_joiner_gets_the_state_so_far_in_its_snapshot() -> None:
    async with MatchManager() as manager:
        match_id = manager.start(TICTACTOE)
        async with manager.subscribe(match_id) as first:
            seen = 0
            async for message in first:  # until two moves have been made
                seen += message["type"] == "MatchTransition"
                if seen == 2:
                    break
            async with manager.subscribe(match_id) as late:
                snapshot = await anext(aiter(late))
        done = await manager.wait(match_id)
        finished = await watch_all(manager, match_id)

    assert len(snapshot["match"]["moves"]) >= 2
    assert snapshot["match"]["board"] is not None
    assert snapshot["match"]["turn"] >= 2
    # After the end, a watcher gets the final snapshot and nothing more.
    assert [m["type"] for m in finished] == ["Snapshot"]
    assert finished[0]["match"]["status"] == "finished"
    assert finished[0]["match"]["moves"] == done.moves


async def test_a_watcher_that_never_reads_does_not_slow_the_match_and_its_drops_are_counted() -> (
    None
):
    async def wall(stalled: bool) -> tuple[float, int]:
        async with MatchManager() as manager:
            match_id = manager.start(TICTACTOE)
            if not stalled:
                view = await manager.wait(match_id)
                return view.result.wall_s if view.result else -1.0, manager.drops
            async with manager.subscribe(match_id):  # subscribed, never reading
                view = await manager.wait(match_id)
                drops = manager.drops
            return view.result.wall_s if view.result else -1.0, drops

    alone, _ = await wall(stalled=False)
    watched, drops = await wall(stalled=True)

    assert watched == alone
    assert drops > 0


async def test_cancel_stops_a_running_match_and_its_watchers_hear_of_it() -> None:
    async with MatchManager() as manager:
        match_id = manager.start(TICTACTOE)
        async with manager.subscribe(match_id) as watch:
            await anext(aiter(watch))
            manager.cancel(match_id)
            rest = [m async for m in watch]
        view = manager.get(match_id)

    assert rest[-1]["type"] == "MatchClosed"
    assert rest[-1]["status"] == "cancelled"
    assert view.status == "cancelled"
    assert view.result is None


async def test_closing_the_manager_cancels_every_match() -> None:
    async with MatchManager() as manager:
        ids = [manager.start(TICTACTOE) for _ in range(3)]
    assert [manager.get(i).status for i in ids] == ["cancelled"] * 3
    assert manager.watchers == 0
    with pytest.raises(RuntimeError, match="not running"):
        manager.start(TICTACTOE)


async def test_the_limit_on_running_matches_is_a_specific_error() -> None:
    async with MatchManager(max_matches=2) as manager:
        manager.start(TICTACTOE)
        last = manager.start(TICTACTOE)
        with pytest.raises(MatchLimitReached, match="2 matches"):
            manager.start(TICTACTOE)
        await manager.wait(last)
        again = manager.start(TICTACTOE)  # room again once one is over
        assert manager.get(again).status == "running"


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (MatchRequest(game="chess", seats={"X": "rafa"}), "game"),
        (MatchRequest(game="tictactoe", seats={"X": "rafa"}), "seats"),
        (MatchRequest(game="tictactoe", seats={"X": "rafa", "O": "nobody"}), "seats"),
    ],
)
async def test_a_bad_request_names_its_field(request_: MatchRequest, field: str) -> None:
    async with MatchManager() as manager:
        with pytest.raises(ConfigError) as raised:
            manager.start(request_)
    assert raised.value.fields == (field,)


async def test_an_unknown_id_is_a_specific_error_and_list_pages() -> None:
    async with MatchManager() as manager:
        ids = [manager.start(TICTACTOE) for _ in range(5)]
        total, page = manager.list(offset=1, limit=2)
        with pytest.raises(UnknownMatch, match="nope"):
            manager.get("nope")

    assert total == 5
    assert [v.id for v in page] == ids[1:3]


async def test_beyond_its_history_the_oldest_finished_match_is_forgotten() -> None:
    async with MatchManager(history=2) as manager:
        first = manager.start(TICTACTOE)
        await manager.wait(first)
        running = manager.start(TICTACTOE)
        newest = manager.start(TICTACTOE)  # three remembered: the finished one goes
        with pytest.raises(UnknownMatch, match=first):
            manager.get(first)
        total, _ = manager.list()
        again = manager.start(TICTACTOE)  # none over: running matches are never forgotten
        counts = manager.counts()

    assert total == 2
    assert [manager.get(i).status for i in (running, newest, again)] == ["cancelled"] * 3
    assert counts == {"running": 3, "finished": 0, "cancelled": 0, "failed": 0}
