"""``rafa serve``'s app (``create_app``): REST and WebSocket end to end.

aiohttp.web runs on asyncio only, so these tests do too; each runs the app
in the test's own loop (aiohttp's TestServer/TestClient on 127.0.0.1) under
the virtual clock, so the sim's latency costs no real time.  (The
:class:`MatchManager` under it runs on trio too: test_server_manager.py.)
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp.test_utils import TestClient, TestServer
from jsonschema import Draft202012Validator
from support import TINY_TOURNAMENT

from rafa_async import ConfigError
from rafa_async.scenarios import GAMES, get_game
from rafa_async.server import MatchManager, ServerConfig, TournamentManager, create_app
from rafa_async.server._app import MANAGER, TOURNAMENTS

pytestmark = pytest.mark.anyio

GAME = {"game": "tictactoe", "seats": {"X": "rafa", "O": "random"}, "seed": 1}
TOKEN = "s3cret-token"


@pytest.fixture
def anyio_backend(anyio_backend: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    if anyio_backend[0] == "trio":
        pytest.skip("aiohttp.web (the match server) runs on asyncio only")
    return anyio_backend


@asynccontextmanager
async def server(**options: Any) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(create_app(ServerConfig(**options)))) as client:
        yield client


def manager(client: TestClient) -> MatchManager:
    return client.server.app[MANAGER]


def tournaments(client: TestClient) -> TournamentManager:
    return client.server.app[TOURNAMENTS]


async def start(client: TestClient, body: Any = GAME, **headers: str) -> str:
    response = await client.post("/matches", json=body, headers=headers)
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["simulated"] is True
    return str(created["id"])


async def messages(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    return [json.loads(m.data) async for m in ws if m.type == aiohttp.WSMsgType.TEXT]


async def test_create_watch_to_the_end_then_read_the_result() -> None:
    async with server() as client:
        match_id = await start(client)
        running = await (await client.get(f"/matches/{match_id}")).json()
        async with client.ws_connect(f"/matches/{match_id}/events") as ws:
            seen = await messages(ws)
        finished = await (await client.get(f"/matches/{match_id}")).json()

    assert running["status"] == "running"
    assert running["simulated"] is True
    assert seen[0]["type"] == "Snapshot"
    assert seen[0]["match"]["id"] == match_id
    assert [m["type"] for m in seen[-2:]] == ["MatchEnded", "MatchClosed"]
    assert seen[-1]["status"] == "finished"
    assert finished["status"] == "finished"
    assert finished["simulated"] is True
    assert finished["result"]["simulated"] is True
    assert finished["result"]["scores"] == seen[-2]["scores"]
    assert len(finished["moves"]) == finished["result"]["turns"]


async def test_delete_cancels_and_the_watcher_hears_of_it() -> None:
    async with server() as client:
        match_id = await start(client)
        async with client.ws_connect(f"/matches/{match_id}/events") as ws:
            snapshot = await ws.receive_json()
            cancelled = await client.delete(f"/matches/{match_id}")
            rest = await messages(ws)
        view = await cancelled.json()
        again = await client.delete("/matches/nope")

    assert snapshot["type"] == "Snapshot"
    assert cancelled.status == 200
    assert view["status"] == "cancelled"
    assert rest[-1] == rest[-1] | {"type": "MatchClosed", "status": "cancelled"}
    assert again.status == 404


async def test_a_late_joiner_gets_the_snapshot_of_the_match_so_far() -> None:
    async with server() as client:
        match_id = await start(client)
        async with client.ws_connect(f"/matches/{match_id}/events") as first:
            moves = 0
            seen: list[dict[str, Any]] = []
            while moves < 2:
                seen.append(await first.receive_json())
                moves += seen[-1]["type"] == "MatchTransition"
            async with client.ws_connect(f"/matches/{match_id}/events") as late:
                snapshot = await late.receive_json()

    assert snapshot["type"] == "Snapshot"
    assert snapshot["match"]["status"] == "running"
    assert len(snapshot["match"]["moves"]) >= 2
    assert snapshot["match"]["board"]
    assert snapshot["match"]["grid"] == snapshot["match"]["board"].split("/")
    # Its timeline: every call so far, the ended ones with their outcome.
    started = {m["call"] for m in seen if m["type"] == "LLMCallStarted"}
    ended = {m["call"]: m for m in seen if m["type"] == "LLMCallEnded"}
    calls = {c["call"]: c for c in snapshot["calls"]}
    assert started and started <= set(calls)
    for number, call in ended.items():
        assert calls[number]["outcome"] == call["outcome"]
        assert calls[number]["end"] == call["ts"]
    assert all(c["seat"] == "X" and c["start"] <= (c["end"] or c["start"]) for c in calls.values())


async def test_a_client_that_never_reads_does_not_delay_the_match() -> None:
    async def wall_s(stalled: bool) -> float:
        async with server() as client:
            match_id = await start(client)
            if stalled:
                async with client.ws_connect(f"/matches/{match_id}/events"):  # never read
                    view = await manager(client).wait(match_id)
            else:
                view = await manager(client).wait(match_id)
        assert view.status == "finished" and view.result is not None
        return view.result.wall_s

    assert await wall_s(stalled=True) == await wall_s(stalled=False)


async def test_a_client_that_goes_away_is_unsubscribed_at_once() -> None:
    async with server() as client:
        # A slow sim: the match's next event is many (virtual) seconds away.
        match_id = await start(client, {**GAME, "latency_scale": 100.0})
        async with client.ws_connect(f"/matches/{match_id}/events") as ws:
            await ws.receive_json()
            assert manager(client).watchers == 1
            metrics = await (await client.get("/metrics")).text()
            closing = anyio.current_time()
        await anyio.sleep(0.001)
        watchers = manager(client).watchers
        took = anyio.current_time() - closing
        status = manager(client).get(match_id).status

    assert "rafa_websocket_clients 1" in metrics
    assert watchers == 0
    assert took < 0.1  # at once, not when the match's next event would have come
    assert status == "running"  # the match goes on without its watcher


async def test_shutting_down_closes_the_clients_and_cancels_the_matches() -> None:
    async with server() as client:
        match_id = await start(client, {**GAME, "latency_scale": 100.0})
        ws = await client.ws_connect(f"/matches/{match_id}/events")
        await ws.receive_json()
        running = manager(client)
    # The client's socket was closed by the server on its way down.
    closing = await ws.receive()

    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert running.get(match_id).status == "cancelled"
    assert running.watchers == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**GAME, "game": 7}, "game"),
        ({"game": "tictactoe"}, "seats"),
        ({**GAME, "seed": -1}, "seed"),
        ({**GAME, "n_candidates": 0}, "n_candidates"),
        ({**GAME, "latency_scale": "fast"}, "latency_scale"),
        ({**GAME, "colour": "red"}, "colour"),
        ({**GAME, "game": "chess"}, "game"),
        ({**GAME, "seats": {"X": "rafa"}}, "seats"),
        ({**GAME, "seats": {"X": "rafa", "O": "grandmaster"}}, "seats"),
    ],
)
async def test_a_bad_body_gets_a_400_naming_the_field(body: Any, field: str) -> None:
    async with server() as client:
        response = await client.post("/matches", json=body)
        error = await response.json()

    assert response.status == 400
    assert error["field"] == field
    assert field in error["error"]


async def test_a_body_that_is_not_json_or_too_large_is_refused() -> None:
    async with server(max_body=1024) as client:
        garbled = await client.post("/matches", data=b"{nope", headers={"Content-Type": "x"})
        not_json = await garbled.json()
        bad_page = await client.get("/matches", params={"limit": "0"})
        page_error = await bad_page.json()
        huge = await client.post("/matches", json={**GAME, "pad": "x" * 4096})

    assert garbled.status == 400
    assert "not JSON" in not_json["error"]
    assert bad_page.status == 400
    assert page_error["field"] == "limit"
    assert huge.status == 413


async def test_matches_are_listed_a_page_at_a_time() -> None:
    async with server() as client:
        ids = [await start(client, {**GAME, "seed": seed}) for seed in range(5)]
        page = await (await client.get("/matches", params={"offset": "1", "limit": "3"})).json()

    assert page["total"] == 5
    assert (page["offset"], page["limit"]) == (1, 3)
    assert [m["id"] for m in page["matches"]] == ids[1:4]
    assert all(m["simulated"] for m in page["matches"])


async def test_the_limits_answer_429_with_retry_after() -> None:
    async with server(max_matches=1, max_ws_clients=1, retry_after=3) as client:
        match_id = await start(client)
        refused = await client.post("/matches", json=GAME)
        async with client.ws_connect(f"/matches/{match_id}/events") as ws:
            await ws.receive_json()
            with pytest.raises(aiohttp.WSServerHandshakeError) as second:
                await client.ws_connect(f"/matches/{match_id}/events")

    assert refused.status == 429
    assert refused.headers["Retry-After"] == "3"
    assert second.value.status == 429


def test_off_loopback_without_a_token_is_refused_when_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RAFA_SERVER_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="token") as raised:
        ServerConfig(host="0.0.0.0")
    assert raised.value.fields == ("token",)
    assert ServerConfig(host="::1").token is None  # loopback needs none
    monkeypatch.setenv("RAFA_SERVER_TOKEN", TOKEN)
    assert ServerConfig(host="0.0.0.0").token == TOKEN


async def test_with_a_token_every_request_without_it_gets_401() -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    async with server(host="0.0.0.0", token=TOKEN) as client:
        match_id = await start(client, **bearer)
        anonymous = [
            await client.post("/matches", json=GAME),
            await client.get(f"/matches/{match_id}"),
            await client.get("/matches"),
            await client.delete(f"/matches/{match_id}"),
            await client.get("/metrics"),
            await client.get("/openapi.json"),
            await client.get("/games"),
            await client.get(f"/matches/{match_id}", headers={"Authorization": "Bearer wrong"}),
        ]
        # The live page's files hold no data: they are served to anyone (the
        # page passes its ?token= on to the API).
        page = [await client.get("/"), await client.get("/static/live.js")]
        with pytest.raises(aiohttp.WSServerHandshakeError) as ws_refused:
            await client.ws_connect(f"/matches/{match_id}/events")
        allowed = await client.get(f"/matches/{match_id}", headers=bearer)
        async with client.ws_connect(f"/matches/{match_id}/events", params={"token": TOKEN}) as ws:
            snapshot = await ws.receive_json()

    assert [r.status for r in anonymous] == [401] * len(anonymous)
    assert [r.status for r in page] == [200, 200]
    assert ws_refused.value.status == 401
    assert allowed.status == 200
    assert snapshot["type"] == "Snapshot"


async def test_openapi_describes_exactly_the_routes_served() -> None:
    async with server() as client:
        document = await (await client.get("/openapi.json")).json()
        served = {
            (route.method.lower(), route.resource.canonical)
            for route in client.server.app.router.routes()
            if route.resource is not None
        }

    assert document["openapi"].startswith("3.")
    assert document["info"]["title"]
    documented = {(m, path) for path, ops in document["paths"].items() for m in ops}
    assert documented == served
    schemas = document["components"]["schemas"]
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)
    refs = {
        ref.rsplit("/", 1)[1] for ref in _refs(document) if ref.startswith("#/components/schemas/")
    }
    assert refs <= set(schemas)
    create = document["paths"]["/matches"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert body.endswith("/MatchRequest")
    assert {"game", "seats"} <= set(schemas["MatchRequest"]["required"])
    public = {("get", "/"), ("get", "/static/{name}")}
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            assert op["responses"]
            assert ("401" in op["responses"]) == ((method, path) not in public)
    page = document["paths"]["/static/{name}"]["get"]["responses"]["200"]["content"]
    assert set(page) == {"text/html", "text/javascript", "text/css"}


async def test_the_live_page_and_every_file_it_loads_are_served() -> None:
    async with server() as client:
        page = await client.get("/")
        html = await page.text()
        files = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
        loaded = {name: await client.get(name) for name in files}
        missing = [
            await client.get(path)
            for path in ("/static/nothing.js", "/static/..%2Fpy.typed", "/static/_app.py")
        ]
        errors = [(await r.json())["error"] for r in missing]

    assert page.status == 200 and page.content_type == "text/html"
    assert "SIMULATED" in html
    assert sorted(files) == ["/static/live.css", "/static/live.js"]
    assert {n: r.content_type for n, r in loaded.items()} == {
        "/static/live.css": "text/css",
        "/static/live.js": "text/javascript",
    }
    assert [r.status for r in missing] == [404, 404, 404]
    assert all(errors)


async def test_games_lists_each_game_with_its_seats_and_kinds() -> None:
    async with server() as client:
        games = (await (await client.get("/games")).json())["games"]

    by_name = {g["name"]: g for g in games}
    assert list(by_name) == list(GAMES)
    for name, game in by_name.items():
        spec = get_game(name)
        assert game["seats"] == list(spec.seats)
        assert set(game["default_seats"]) == set(spec.seats)
        assert set(game["default_seats"].values()) <= set(game["kinds"])
    assert {"rafa", "random", "perfect"} <= set(by_name["tictactoe"]["kinds"])


async def test_board_events_carry_the_board_drawn_on_its_grid() -> None:
    async with server() as client:
        match_id = await start(client)
        async with client.ws_connect(f"/matches/{match_id}/events") as ws:
            stream = await messages(ws)
        view = await (await client.get(f"/matches/{match_id}")).json()

    boards = [m for m in stream if m["type"] in ("TurnStarted", "MatchTransition")]
    assert boards
    for message in boards:
        assert message["grid"] == message["state"].split("/")
    assert view["grid"] == view["board"].split("/") == boards[-1]["grid"]
    assert len(view["grid"]) == 3 and all(len(row) == 3 for row in view["grid"])


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


_SAMPLE = re.compile(
    r'(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?P<labels>\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"'
    r'(?:,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? (?P<value>\S+)'
)
_KINDS = {"counter", "gauge", "summary", "histogram", "untyped"}


def prometheus(text: str) -> tuple[dict[str, str], dict[str, float]]:
    """The metric families (name -> type) and samples (name and labels ->
    value) of a Prometheus text exposition, checked as they are read: each
    family has one HELP and one TYPE, then its samples together (a summary's
    as NAME_sum and NAME_count); no sample twice; the text ends with a newline."""
    assert text.endswith("\n")
    kinds: dict[str, str] = {}
    helped: list[str] = []
    samples: dict[str, float] = {}
    for line in text.splitlines():
        words = line.split(" ", 3)
        if line.startswith("# HELP "):
            assert words[2] not in helped, line
            helped.append(words[2])
        elif line.startswith("# TYPE "):
            assert helped[-1:] == [words[2]] and words[2] not in kinds, line
            assert words[3] in _KINDS, line
            kinds[words[2]] = words[3]
        else:
            sample = _SAMPLE.fullmatch(line)
            assert sample is not None, line
            family = next(reversed(kinds))  # the family declared last
            suffixes = ("_sum", "_count") if kinds[family] == "summary" else ("",)
            assert sample["name"] in {family + s for s in suffixes}, line
            key = sample["name"] + (sample["labels"] or "")
            assert key not in samples, line
            samples[key] = float(sample["value"])
    assert list(kinds) == helped
    return kinds, samples


async def test_metrics_count_matches_llm_calls_and_drops() -> None:
    async with server() as client:
        match_id = await start(client)
        await manager(client).wait(match_id)
        text = await (await client.get("/metrics")).text()

    kinds, samples = prometheus(text)
    assert samples['rafa_matches{status="finished"}'] == 1
    assert samples["rafa_simulated"] == 1
    assert kinds["rafa_llm_calls_total"] == "counter"
    assert samples['rafa_llm_calls_total{outcome="ok"}'] > 0
    assert samples["rafa_llm_call_latency_seconds_count"] > 0
    assert "rafa_bus_dropped_events_total" in samples
    assert samples["rafa_websocket_clients"] == 0


async def test_metrics_count_the_tournaments_and_their_matches() -> None:
    slow = TINY_TOURNAMENT.replace("latency_scale = 0.0", "latency_scale = 100.0")
    async with server() as client:
        before = prometheus(await (await client.get("/metrics")).text())[1]
        finished = await start_tournament(client, TINY_TOURNAMENT)
        await tournaments(client).wait(finished)
        await start_tournament(client, slow)
        await anyio.sleep(1)  # its direct player's matches wait on the slow sim
        kinds, samples = prometheus(await (await client.get("/metrics")).text())
        views = (await (await client.get("/tournaments")).json())["tournaments"]

    states = ("planned", "finished", "failed", "running", "skipped")
    assert kinds["rafa_tournaments"] == kinds["rafa_tournament_matches"] == "gauge"
    assert {k: v for k, v in before.items() if "tournament" in k} == {
        'rafa_tournaments{status="running"}': 0,
        'rafa_tournaments{status="finished"}': 0,
        'rafa_tournaments{status="cancelled"}': 0,
        'rafa_tournaments{status="failed"}': 0,
        **{f'rafa_tournament_matches{{state="{state}"}}': 0 for state in states},
    }
    assert samples['rafa_tournaments{status="finished"}'] == 1
    assert samples['rafa_tournaments{status="running"}'] == 1
    matches = {s: samples[f'rafa_tournament_matches{{state="{s}"}}'] for s in states}
    assert matches == {s: sum(view["counts"][s] for view in views) for s in states}
    assert matches["planned"] == 12  # six each
    assert 6 <= matches["finished"] < 12
    assert matches["running"] > 0


# -- tournaments --------------------------------------------------------------------------

TOURNAMENT = """\
name = "tiny"
games = ["tictactoe"]
games_per_pairing = 2
latency_scale = 0.0

[[participants]]
name = "random"
kind = "random"

[[participants]]
name = "perfect"
kind = "perfect"
"""
SLOW_TOURNAMENT = (
    TOURNAMENT.replace("latency_scale = 0.0", "latency_scale = 100.0")
    + '\n[[participants]]\nname = "direct"\nkind = "direct"\n'
)


async def start_tournament(client: TestClient, text: str = TOURNAMENT, **headers: str) -> str:
    response = await client.post("/tournaments", json={"config": text}, headers=headers)
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["simulated"] is True
    assert response.headers["Location"] == f"/tournaments/{created['id']}"
    return str(created["id"])


async def test_a_tournament_posted_is_polled_to_its_final_standings(tmp_path: Path) -> None:
    async with server(data_dir=str(tmp_path)) as client:
        tournament_id = await start_tournament(client)
        polls = []
        while not polls or polls[-1]["status"] == "running":
            polls.append(await (await client.get(f"/tournaments/{tournament_id}")).json())
            await anyio.sleep(0.01)
        listed = await (await client.get("/tournaments")).json()

    final = polls[-1]
    assert final["status"] == "finished"
    assert final["simulated"] is True
    assert final["counts"] == {"planned": 2, "finished": 2, "failed": 0, "running": 0, "skipped": 0}
    assert final["eta_s"] is None
    assert [row["participant"] for row in final["standings"]] == ["perfect", "random"]
    best = final["standings"][0]
    assert (best["games"], best["points"]) == (2, 2.0)
    assert best["score"] == 1.0 and best["elo"] is None  # a clean sweep: +inf, as null
    assert best["mu"] > final["standings"][1]["mu"]
    assert best["sigma"] > 0
    assert [t["id"] for t in listed["tournaments"]] == [tournament_id]
    assert (tmp_path / f"{tournament_id}.sqlite").is_file()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"config": TOURNAMENT.replace('kind = "random"', 'kind = "nobody"')},
         "tournament.toml:8: participants[0].kind"),
        ({"config": TOURNAMENT.replace("games_per_pairing = 2", "games_per_pairing = -1")},
         "games_per_pairing"),
        ({"config": 7}, "config"),
        ({}, "config"),
    ],
)  # fmt: skip
async def test_a_bad_tournament_config_gets_a_400_naming_the_line(body: Any, fragment: str) -> None:
    async with server() as client:
        response = await client.post("/tournaments", json=body)
        error = await response.json()

    assert response.status == 400
    assert error["field"] == "config"
    assert fragment in error["error"]


async def test_delete_cancels_a_tournament_and_the_limit_answers_429() -> None:
    async with server(max_tournaments=1, retry_after=5) as client:
        tournament_id = await start_tournament(client, SLOW_TOURNAMENT)
        refused = await client.post("/tournaments", json={"config": TOURNAMENT})
        refusal = await refused.json()
        await anyio.sleep(1)
        cancelled = await client.delete(f"/tournaments/{tournament_id}")
        view = await cancelled.json()
        again = await client.post("/tournaments", json={"config": TOURNAMENT})
        unknown = await client.delete("/tournaments/nope")

    assert refused.status == 429
    assert refused.headers["Retry-After"] == "5"
    assert "1 tournaments" in refusal["error"]
    assert cancelled.status == 200
    assert view["status"] == "cancelled"
    assert view["counts"]["finished"] < view["counts"]["planned"]
    assert again.status == 201  # room again once it is over
    assert unknown.status == 404


async def test_with_a_token_the_tournament_routes_without_it_get_401() -> None:
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    async with server(host="0.0.0.0", token=TOKEN) as client:
        tournament_id = await start_tournament(client, **bearer)
        anonymous = [
            await client.post("/tournaments", json={"config": TOURNAMENT}),
            await client.get("/tournaments"),
            await client.get(f"/tournaments/{tournament_id}"),
            await client.delete(f"/tournaments/{tournament_id}"),
        ]
        allowed = await client.get(f"/tournaments/{tournament_id}", headers=bearer)

    assert [r.status for r in anonymous] == [401] * len(anonymous)
    assert allowed.status == 200
