"""examples/app_series.py, a program on rafa_async.app, runs and agrees with ``rafa play``."""

from __future__ import annotations

import json
import runpy
import sys
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp.test_utils import TestClient, TestServer
from support import rafa

from rafa_async.llm import SIM_LABEL

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "app_series.py"


def run_example(monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    monkeypatch.setattr(sys, "argv", [str(EXAMPLE), *args])
    runpy.run_path(str(EXAMPLE), run_name="__main__")


def test_the_example_prints_a_table_labelled_simulated(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_example(monkeypatch, "--episodes", "2")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == SIM_LABEL
    assert lines[1].split() == ["game", "player", "wins", "draws", "losses", "mean"]
    rows = [line.split() for line in lines[2:]]
    assert [row[:2] for row in rows] == [
        ["tictactoe", "rafa"],
        ["tictactoe", "direct"],
        ["connect4", "rafa"],
        ["connect4", "direct"],
    ]
    assert all(sum(int(n) for n in row[2:5]) == 2 for row in rows)  # every match counted


def play_table(*args: str) -> list[list[str]]:
    """The rows of `rafa play ARGS`'s table: player, wins, draws, losses, mean score."""
    result = rafa("play", *args, "--rotate", "--episodes", "2", "--latency-scale", "0")
    assert result.exit_code == 0, result.output
    cells = [line.split("│")[2:-1] for line in result.stdout.splitlines() if line.count("│") == 7]
    return [[cell.strip() for cell in row] for row in cells]


def test_the_example_plays_the_matches_rafa_play_plays(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One code path for the LLM and the players: the program's series, on
    its one shared LLM, end as `rafa play`'s own do."""
    run_example(monkeypatch, "--episodes", "2")
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    by_game = {
        game: [row[1:] for row in rows if row[0] == game] for game in ("tictactoe", "connect4")
    }

    assert play_table("tictactoe", "--x", "rafa", "--o", "direct") == by_game["tictactoe"]
    assert play_table("connect4", "--seat", "R=rafa", "--seat", "Y=direct") == by_game["connect4"]


TRIO_WATCH = EXAMPLE.parent / "trio_watch.py"


def test_the_trio_program_plays_two_matches_and_watches_them_to_the_end(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", [str(TRIO_WATCH), "--latency-scale", "0"])
    runpy.run_path(str(TRIO_WATCH), run_name="__main__")
    out = capsys.readouterr().out.splitlines()
    assert SIM_LABEL in out  # printed after the matches (the logs come before)
    lines = out[out.index(SIM_LABEL) :]
    closed = [line for line in lines if line.endswith((" finished", " cancelled", " failed"))]
    assert len(closed) == 2 and all(line.endswith("finished") for line in closed)
    assert any(" turn 1: " in line for line in lines)  # moves seen live
    assert any(" plan [" in line for line in lines)  # and RAFA's plans
    results = [line for line in lines if " in " in line and "scores" in line]
    assert [line.split(":")[0] for line in results] == ["tictactoe", "nim"]


@pytest.mark.anyio
async def test_the_aiohttp_app_plays_a_match_streams_it_and_shuts_down_clean(
    anyio_backend: tuple[str, dict[str, Any]],
) -> None:
    if anyio_backend[0] != "asyncio":
        pytest.skip("aiohttp.web runs on asyncio only")
    example = runpy.run_path(str(EXAMPLE.parent / "aiohttp_app.py"))
    app = example["make_app"](latency_scale=0.0)
    async with TestClient(TestServer(app)) as client:
        bad = await client.post("/play", json={"game": "chess", "seats": {}})
        assert bad.status == 400
        assert "chess" in (await bad.json())["error"]
        started = await client.post(
            "/play", json={"game": "tictactoe", "seats": {"X": "rafa", "O": "random"}}
        )
        match_id = (await started.json())["id"]
        streamed = await client.get(f"/watch/{match_id}")
        events = [json.loads(line) for line in (await streamed.text()).splitlines()]
        assert events[0]["type"] == "Snapshot"
        assert [e["type"] for e in events][-2:] == ["MatchEnded", "MatchClosed"]
        assert events[-1]["status"] == "finished"
        # A long match left running: shutting the app down cancels it.
        running = await client.post(
            "/play", json={"game": "connect4", "seats": {"R": "rafa", "Y": "rafa"}}
        )
        left = (await running.json())["id"]
        manager = app[example["MANAGER"]]
        assert manager.get(left).status == "running"
    assert manager.get(left).status == "cancelled"


@pytest.mark.anyio
async def test_the_starlette_app_under_uvicorn_plays_streams_and_shuts_down_clean(
    anyio_backend: tuple[str, dict[str, Any]],
) -> None:
    if anyio_backend[0] != "asyncio":
        pytest.skip("uvicorn serves on asyncio only")
    import uvicorn

    example = runpy.run_path(str(EXAMPLE.parent / "starlette_app.py"))
    app = example["make_app"](latency_scale=0.0)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, ws="wsproto", log_level="warning")
    server = uvicorn.Server(config)
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve)
        while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
            await anyio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            bad = await http.post(f"{base}/play", json={"game": "chess", "seats": {}})
            assert bad.status == 400
            started = await http.post(
                f"{base}/play", json={"game": "tictactoe", "seats": {"X": "rafa", "O": "random"}}
            )
            match_id = (await started.json())["id"]
            async with http.ws_connect(f"{base}/watch/{match_id}") as ws:
                events = [json.loads(m.data) async for m in ws]
            long_match = {  # with the sim's latency: still playing at shutdown
                "game": "connect4",
                "seats": {"R": "rafa", "Y": "rafa"},
                "latency_scale": 1.0,
            }
            left = (await (await http.post(f"{base}/play", json=long_match)).json())["id"]
        manager = app.state.manager
        assert manager.get(left).status == "running"
        server.should_exit = True
    assert events[0]["type"] == "Snapshot"
    assert [e["type"] for e in events][-2:] == ["MatchEnded", "MatchClosed"]
    assert manager.get(left).status == "cancelled"  # the lifespan's exit cancelled it
