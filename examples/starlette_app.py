"""rafa-async matches inside a Starlette app, served by uvicorn (asyncio via anyio).

Starlette's lifespan holds one MatchManager open for the app's whole life
(one task enters and leaves it, as anyio's task groups require), and
shutting down cancels every match still running.  Routes:

- ``POST /play`` (``{"game": ..., "seats": {...}, "seed": N}``) starts a
  match and answers its id;
- WebSocket ``/watch/{id}``: the match's snapshot, then its events as JSON
  until it ends; a client that leaves stops only its own stream.

    python examples/starlette_app.py [--port 8082]     # needs starlette, uvicorn, wsproto

Every match runs on the embedded SIMULATED LLM: a simulation, not a real model.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import msgspec
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from rafa_async import ConfigError
from rafa_async.server import MatchManager, MatchRequest, UnknownMatch


async def play(request: Request) -> JSONResponse:
    manager: MatchManager = request.app.state.manager
    try:
        body = msgspec.json.decode(await request.body(), type=MatchRequest)
        match_id = manager.start(body)
    except (msgspec.ValidationError, msgspec.DecodeError, ConfigError) as error:
        return JSONResponse({"error": str(error)}, status_code=400)
    return JSONResponse({"id": match_id, "simulated": True})


async def watch(websocket: WebSocket) -> None:
    manager: MatchManager = websocket.app.state.manager
    match_id = websocket.path_params["id"]
    try:
        manager.get(match_id)
    except UnknownMatch:
        await websocket.close(code=4404)
        return
    await websocket.accept()
    try:
        async with manager.subscribe(match_id) as events:
            async for event in events:
                await websocket.send_json(event)
    except WebSocketDisconnect:
        return  # the client left: its subscription is closed, the match goes on
    await websocket.close()


def make_app(latency_scale: float = 1.0) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with MatchManager(latency_scale=latency_scale) as manager:
            app.state.manager = manager
            yield  # leaving cancels every match still running

    return Starlette(
        routes=[Route("/play", play, methods=["POST"]), WebSocketRoute("/watch/{id}", watch)],
        lifespan=lifespan,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--latency-scale", type=float, default=1.0)
    args = parser.parse_args()
    uvicorn.run(make_app(args.latency_scale), host="127.0.0.1", port=args.port, ws="wsproto")
