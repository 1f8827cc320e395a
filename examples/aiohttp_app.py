"""An aiohttp.web application of your own that runs rafa-async matches.

The app keeps one MatchManager for its whole life, started and stopped
with the app (``cleanup_ctx``).  The manager's task group lives in a
task of its own, because an anyio task group must be left by the task that
entered it, and aiohttp's startup and cleanup may run in different tasks.
Its two routes:

- ``POST /play`` (``{"game": ..., "seats": {...}, "seed": N}``) starts a
  match and answers its id;
- ``GET /watch/{id}`` streams the match's events as JSON lines until it
  ends; a client that goes away stops only its own stream.

Shutting the app down cancels every match still running.

    python examples/aiohttp_app.py [--port 8081]      # then:
    curl -s -X POST localhost:8081/play \
         -d '{"game": "tictactoe", "seats": {"X": "rafa", "O": "random"}}'
    curl -sN localhost:8081/watch/ID

Every match runs on the embedded SIMULATED LLM: a simulation, not a real model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import AsyncIterator

import msgspec
from aiohttp import web

from rafa_async import ConfigError
from rafa_async.server import MatchManager, MatchRequest, UnknownMatch

MANAGER = web.AppKey("manager", MatchManager)
LATENCY_SCALE = web.AppKey("latency_scale", float)


async def play(request: web.Request) -> web.Response:
    try:
        body = msgspec.json.decode(await request.read(), type=MatchRequest)
        match_id = request.app[MANAGER].start(body)
    except (msgspec.ValidationError, msgspec.DecodeError, ConfigError) as error:
        return web.json_response({"error": str(error)}, status=400)
    return web.json_response({"id": match_id, "simulated": True})


async def watch(request: web.Request) -> web.StreamResponse:
    manager = request.app[MANAGER]
    try:
        manager.get(request.match_info["id"])
    except UnknownMatch as error:
        return web.json_response({"error": str(error)}, status=404)
    response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
    await response.prepare(request)
    async with manager.subscribe(request.match_info["id"]) as events:
        async for event in events:  # a client gone: aiohttp cancels this handler
            await response.write(json.dumps(event).encode() + b"\n")
    await response.write_eof()
    return response


async def match_manager(app: web.Application) -> AsyncIterator[None]:
    """Hold a MatchManager open from the app's startup to its cleanup."""
    ready, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with MatchManager(latency_scale=app[LATENCY_SCALE]) as manager:
            app[MANAGER] = manager
            ready.set()
            await stop.wait()  # leaving cancels every match still running

    holder = asyncio.create_task(hold())
    await ready.wait()
    yield
    stop.set()
    await holder


def make_app(latency_scale: float = 1.0) -> web.Application:
    app = web.Application()
    app[LATENCY_SCALE] = latency_scale
    app.cleanup_ctx.append(match_manager)
    app.router.add_post("/play", play)
    app.router.add_get("/watch/{id}", watch)
    return app


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--latency-scale", type=float, default=1.0)
    args = parser.parse_args()
    web.run_app(make_app(args.latency_scale), host="127.0.0.1", port=args.port)
