"""``create_app``: the :class:`MatchManager` behind REST and WebSocket routes.

aiohttp.web, so asyncio only (the manager itself is anyio-only).  The
managers (matches, and tournaments: :class:`TournamentManager`) start and
stop with the app (``cleanup_ctx``); on shutdown the
WebSocket clients are told the server is going away, then every match still
running is cancelled.  Routes (also in ``GET /openapi.json``, generated from
the same table):

``POST /matches``                start a match (:class:`MatchRequest`) -> its id
``GET /matches``                 the matches, paginated (``offset``, ``limit``)
``GET /matches/{id}``            status, state and result
``DELETE /matches/{id}``         cancel
``GET /matches/{id}/events``     WebSocket: snapshot, then the events as JSON
``POST /tournaments``            start a tournament (its ``tournament.toml`` text) -> its id
``GET /tournaments``             the tournaments
``GET /tournaments/{id}``        status, counts, ETA, LLM calls/s and standings
``DELETE /tournaments/{id}``     cancel (its matches in flight stay resumable in its database)
``GET /games``                   the games, their seats and the player kinds a seat takes
``GET /openapi.json``, ``GET /metrics``
``GET /``, ``GET /static/{name}`` the live page (plain HTML, JS and CSS; no token needed: it
                                 holds no data, and passes the page's ``?token=`` on to the API)
"""

from __future__ import annotations

import hmac
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import cache
from importlib import resources
from typing import TypeVar

import anyio
import msgspec
import structlog
from aiohttp import WSCloseCode, web
from aiohttp.typedefs import Handler

from rafa_async._errors import ConfigError
from rafa_async._validation import split_validation_error
from rafa_async.app import seat_kinds
from rafa_async.scenarios import GAMES, get_game
from rafa_async.server._config import ServerConfig
from rafa_async.server._manager import MatchLimitReached, MatchManager, UnknownMatch
from rafa_async.server._metrics import prometheus_text
from rafa_async.server._openapi import Route, openapi_document
from rafa_async.server._tournaments import (
    TournamentLimitReached,
    TournamentManager,
    UnknownTournament,
)
from rafa_async.server._types import (
    ErrorBody,
    GameInfo,
    GameList,
    MatchCreated,
    MatchPage,
    MatchRequest,
    MatchView,
    TournamentCreated,
    TournamentList,
    TournamentRequest,
    TournamentView,
)

_log = structlog.get_logger("rafa_async.server")

CONFIG = web.AppKey("config", ServerConfig)
MANAGER = web.AppKey("manager", MatchManager)
TOURNAMENTS = web.AppKey("tournaments", TournamentManager)
CLIENTS: web.AppKey[set[web.WebSocketResponse]] = web.AppKey("clients")
MAX_PAGE = 200
_NAMED_FIELD = re.compile(r"(?:missing required|unknown) field `(?P<field>[^`]+)`")
Body = TypeVar("Body", bound=msgspec.Struct)


class ApiError(Exception):
    """An answer other than success: status, message, the field at fault."""

    def __init__(
        self, status: int, message: str, field: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.retry_after = retry_after

    def response(self) -> web.Response:
        headers = {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}
        body = msgspec.json.encode(ErrorBody(error=str(self), field=self.field))
        return web.Response(
            body=body, status=self.status, content_type="application/json", headers=headers
        )


def _json(body: msgspec.Struct, status: int = 200) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(body), status=status, content_type="application/json"
    )


def _manager(request: web.Request) -> MatchManager:
    return request.app[MANAGER]


def _match_id(request: web.Request) -> str:
    match_id = request.match_info["id"]
    try:
        _manager(request).get(match_id)
    except UnknownMatch as error:
        raise ApiError(404, str(error)) from None
    return match_id


async def _body(request: web.Request, kind: type[Body]) -> Body:
    """The request's JSON body as ``kind``: 413 beyond the size limit, 400
    naming the field for a body that does not fit."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[CONFIG].max_body
        raise ApiError(413, f"the request body is larger than {limit} bytes") from None
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as error:
        what, field = split_validation_error(error)
        named = _NAMED_FIELD.search(what)
        if field is None and named is not None:  # a missing or unknown top-level field
            field = named["field"]
        raise ApiError(400, what if field is None else f"{field}: {what}", field) from None
    except msgspec.DecodeError as error:
        raise ApiError(400, f"the body is not JSON: {error}") from None


def _bad_config(error: ConfigError) -> ApiError:
    field = error.fields[0] if error.fields else None
    return ApiError(400, str(error) if field is None else f"{field}: {error}", field)


async def create_match(request: web.Request) -> web.Response:
    body = await _body(request, MatchRequest)
    try:
        match_id = _manager(request).start(body)
    except ConfigError as error:
        raise _bad_config(error) from None
    except MatchLimitReached as error:
        raise ApiError(429, str(error), retry_after=request.app[CONFIG].retry_after) from None
    response = _json(MatchCreated(id=match_id, status="running", simulated=True), 201)
    response.headers["Location"] = f"/matches/{match_id}"
    return response


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ApiError(400, f"{name} must be an integer, got {text!r}", name) from None
    if not low <= value <= high:
        raise ApiError(400, f"{name} must be in {low}..{high}, got {value}", name)
    return value


async def list_matches(request: web.Request) -> web.Response:
    offset = _int_param(request, "offset", 0, 0, 2**31)
    limit = _int_param(request, "limit", 50, 1, MAX_PAGE)
    total, views = _manager(request).list(offset, limit)
    return _json(MatchPage(total=total, offset=offset, limit=limit, matches=views))


async def get_match(request: web.Request) -> web.Response:
    return _json(_manager(request).get(_match_id(request)))


async def cancel_match(request: web.Request) -> web.Response:
    """Cancel; answers once the match has unwound (its status final)."""
    manager = _manager(request)
    match_id = _match_id(request)
    manager.cancel(match_id)
    return _json(await manager.wait(match_id))


async def watch_match(request: web.Request) -> web.WebSocketResponse:
    """The match's snapshot, then its events, one JSON text message each,
    until it is over (then a normal close).  A client that goes away is
    unsubscribed at once: the reader sees the close and cancels the writer."""
    match_id = _match_id(request)
    clients = request.app[CLIENTS]
    config = request.app[CONFIG]
    if len(clients) >= config.max_ws_clients:
        raise ApiError(
            429,
            f"{config.max_ws_clients} WebSocket clients are connected, the most this server takes",
            retry_after=config.retry_after,
        )
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    clients.add(ws)
    try:
        async with _manager(request).subscribe(match_id) as watch, anyio.create_task_group() as tg:

            async def forward() -> None:
                async for message in watch:
                    try:
                        await ws.send_str(msgspec.json.encode(message).decode())
                    except ConnectionResetError:  # the client went away mid-send
                        break
                tg.cancel_scope.cancel()

            tg.start_soon(forward)
            async for _ in ws:  # until the client closes (it sends nothing we need)
                pass
            tg.cancel_scope.cancel()
    finally:
        clients.discard(ws)
    await ws.close()
    return ws


def _tournaments(request: web.Request) -> TournamentManager:
    return request.app[TOURNAMENTS]


def _tournament_id(request: web.Request) -> str:
    tournament_id = request.match_info["id"]
    try:
        _tournaments(request).get(tournament_id)
    except UnknownTournament as error:
        raise ApiError(404, str(error)) from None
    return tournament_id


async def create_tournament(request: web.Request) -> web.Response:
    body = await _body(request, TournamentRequest)
    try:
        tournament_id = _tournaments(request).start(body.config)
    except ConfigError as error:
        raise _bad_config(error) from None
    except TournamentLimitReached as error:
        raise ApiError(429, str(error), retry_after=request.app[CONFIG].retry_after) from None
    view = _tournaments(request).get(tournament_id)
    response = _json(
        TournamentCreated(id=tournament_id, status=view.status, simulated=view.simulated), 201
    )
    response.headers["Location"] = f"/tournaments/{tournament_id}"
    return response


async def list_tournaments(request: web.Request) -> web.Response:
    return _json(TournamentList(tournaments=_tournaments(request).list()))


async def get_tournament(request: web.Request) -> web.Response:
    return _json(_tournaments(request).get(_tournament_id(request)))


async def cancel_tournament(request: web.Request) -> web.Response:
    """Cancel; answers once the tournament has unwound (its status final)."""
    tournaments = _tournaments(request)
    tournament_id = _tournament_id(request)
    tournaments.cancel(tournament_id)
    return _json(await tournaments.wait(tournament_id))


async def list_games(request: web.Request) -> web.Response:
    return _json(_games())


@cache
def _games() -> GameList:
    games = []
    for name in GAMES:
        spec = get_game(name)
        games.append(
            GameInfo(
                name=name,
                description=spec.description,
                seats=list(spec.seats),
                default_seats=dict(spec.default_seats),
                kinds=list(seat_kinds(spec)),
                scoring=spec.scoring,
            )
        )
    return GameList(games=games)


STATIC_TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}


@cache
def _static(name: str) -> tuple[bytes, str] | None:
    """A file of the live page and its content type (``None``: no such file)."""
    suffix = name[name.rfind(".") :] if "." in name else ""
    if "/" in name or name.startswith(".") or suffix not in STATIC_TYPES:
        return None
    path = resources.files("rafa_async.server").joinpath("static", name)
    if not path.is_file():
        return None
    return path.read_bytes(), STATIC_TYPES[suffix]


def _static_response(name: str) -> web.Response:
    found = _static(name)
    if found is None:
        raise ApiError(404, f"no file {name!r} in the live page")
    body, content_type = found
    return web.Response(body=body, content_type=content_type, charset="utf-8")


async def live_page(request: web.Request) -> web.Response:
    return _static_response("index.html")


async def static_file(request: web.Request) -> web.Response:
    return _static_response(request.match_info["name"])


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document(ROUTES, title="rafa serve", version="1"))


async def metrics(request: web.Request) -> web.Response:
    text = prometheus_text(_manager(request), _tournaments(request), len(request.app[CLIENTS]))
    return web.Response(text=text, content_type="text/plain", charset="utf-8")


ROUTES: tuple[Route, ...] = (
    Route("POST", "/matches", "Start a match", MatchCreated, 201, MatchRequest,
          errors=(400, 413, 429)),
    Route("GET", "/matches", "The matches, oldest first", MatchPage,
          query=(("offset", "matches to skip"), ("limit", f"matches to list (1..{MAX_PAGE})")),
          errors=(400,)),
    Route("GET", "/matches/{id}", "A match's status, state and result", MatchView, errors=(404,)),
    Route("DELETE", "/matches/{id}", "Cancel a match", MatchView, errors=(404,)),
    Route("GET", "/matches/{id}/events",
          "WebSocket: the match's snapshot, then its events as JSON", None, 101,
          errors=(404, 429)),
    Route("POST", "/tournaments", "Start a tournament from its tournament.toml text",
          TournamentCreated, 201, TournamentRequest, errors=(400, 413, 429)),
    Route("GET", "/tournaments", "The tournaments, oldest first", TournamentList),
    Route("GET", "/tournaments/{id}", "A tournament's progress and standings", TournamentView,
          errors=(404,)),
    Route("DELETE", "/tournaments/{id}", "Cancel a tournament", TournamentView, errors=(404,)),
    Route("GET", "/games", "The games, their seats and the player kinds a seat takes", GameList),
    Route("GET", "/", "The live page: matches started and watched in a browser", None,
          content="text/html", public=True),
    Route("GET", "/static/{name}", "A file of the live page", None,
          content=tuple(STATIC_TYPES.values()), errors=(404,), public=True),
    Route("GET", "/openapi.json", "This document", None),
    Route("GET", "/metrics", "Prometheus metrics", None, content="text/plain"),
)  # fmt: skip
_PUBLIC = {(r.method, r.path) for r in ROUTES if r.public}
_HANDLERS: dict[tuple[str, str], Callable[[web.Request], Awaitable[web.StreamResponse]]] = {
    ("POST", "/matches"): create_match,
    ("GET", "/matches"): list_matches,
    ("GET", "/matches/{id}"): get_match,
    ("DELETE", "/matches/{id}"): cancel_match,
    ("GET", "/matches/{id}/events"): watch_match,
    ("POST", "/tournaments"): create_tournament,
    ("GET", "/tournaments"): list_tournaments,
    ("GET", "/tournaments/{id}"): get_tournament,
    ("DELETE", "/tournaments/{id}"): cancel_tournament,
    ("GET", "/games"): list_games,
    ("GET", "/"): live_page,
    ("GET", "/static/{name}"): static_file,
    ("GET", "/openapi.json"): openapi,
    ("GET", "/metrics"): metrics,
}


def _public(request: web.Request) -> bool:
    resource = request.match_info.route.resource
    path = resource.canonical if resource is not None else None
    return (request.method, path) in _PUBLIC


def _authorised(request: web.Request, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    if given.startswith("Bearer "):
        given = given.removeprefix("Bearer ")
    else:
        given = request.query.get("token", "")
    return hmac.compare_digest(given.encode(), token.encode())


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The token check, then every failure as :class:`ErrorBody` JSON (an
    unexpected one logged here, answered 500 without a traceback)."""
    try:
        token = request.app[CONFIG].token
        public = request.method == "GET" and (
            request.path == "/" or request.path.startswith("/static/")
        )
        if token is not None and not public and not _authorised(request, token):
            raise ApiError(401, "missing or wrong token (Authorization: Bearer TOKEN)")
        return await handler(request)
    except ApiError as error:
        return error.response()
    except web.HTTPException as error:
        if error.status < 400:
            raise
        return ApiError(error.status, f"{error.reason}: {request.method} {request.path}").response()
    except Exception:
        _log.exception("server_error", method=request.method, path=request.path)
        return ApiError(500, "the server failed on this request (see its log)").response()


def create_app(
    config: ServerConfig | None = None,
    *,
    manager: MatchManager | None = None,
    tournaments: TournamentManager | None = None,
) -> web.Application:
    """The aiohttp application serving matches and tournaments (see the module doc).

    ``manager``, ``tournaments``: a running :class:`MatchManager` and
    :class:`TournamentManager` to serve (their owner closes them).  By
    default the app runs its own while it runs (``cleanup_ctx``),
    entered at startup and left at cleanup: the host must do both in one
    task, outside any cancel scope it opens in between (``web.run_app`` and
    aiohttp's test server do; :func:`running_server` passes its own)."""
    config = config if config is not None else ServerConfig()
    app = web.Application(middlewares=[_errors], client_max_size=config.max_body)
    app[CONFIG] = config
    app[CLIENTS] = set()
    for route in ROUTES:
        handler = _HANDLERS[route.method, route.path]
        app.router.add_route(route.method, route.path, handler)
    if manager is not None:
        app[MANAGER] = manager
    else:
        app.cleanup_ctx.append(_run_manager)
    if tournaments is not None:
        app[TOURNAMENTS] = tournaments
    else:
        app.cleanup_ctx.append(_run_tournaments)
    app.on_shutdown.append(_close_clients)
    return app


def _manager_for(config: ServerConfig) -> MatchManager:
    return MatchManager(
        max_matches=config.max_matches, latency_scale=config.latency_scale, seed=config.seed
    )


async def _run_manager(app: web.Application) -> AsyncIterator[None]:
    async with _manager_for(app[CONFIG]) as manager:
        app[MANAGER] = manager
        yield


def _tournaments_for(config: ServerConfig) -> TournamentManager:
    return TournamentManager(data_dir=config.data_dir, max_tournaments=config.max_tournaments)


async def _run_tournaments(app: web.Application) -> AsyncIterator[None]:
    async with _tournaments_for(app[CONFIG]) as tournaments:
        app[TOURNAMENTS] = tournaments
        yield


async def _close_clients(app: web.Application) -> None:
    clients = app[CLIENTS]
    for ws in list(clients):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")


class RunningServer(msgspec.Struct, frozen=True, kw_only=True):
    """Where a running match server listens."""

    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


@asynccontextmanager
async def running_server(
    config: ServerConfig, *, shutdown_timeout: float = 5.0
) -> AsyncIterator[RunningServer]:
    """Serve :func:`create_app` of ``config`` on its host and port (0 picks a
    free one) for the body of the ``async with``.  Entering raises
    :class:`OSError` if the address cannot be bound.  Leaving (shielded, so
    it completes even when cancelled) closes the WebSocket clients, gives
    requests in flight ``shutdown_timeout`` seconds and cancels every
    match and tournament.  asyncio only, and entered and left in one task."""
    async with _manager_for(config) as manager, _tournaments_for(config) as tournaments:
        runner = web.AppRunner(
            create_app(config, manager=manager, tournaments=tournaments),
            access_log=None,
            handler_cancellation=True,
            shutdown_timeout=shutdown_timeout,
        )
        await runner.setup()
        try:
            site = web.TCPSite(runner, config.host, config.port)
            await site.start()
            port = next(a[1] for a in runner.addresses if isinstance(a, tuple) and len(a) >= 2)
            _log.info("match_server_started", host=config.host, port=port)
            yield RunningServer(host=config.host, port=int(port))
        finally:
            with anyio.CancelScope(shield=True):
                await runner.cleanup()
            _log.info("match_server_stopped", host=config.host)
