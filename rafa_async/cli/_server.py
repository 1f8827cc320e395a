"""``rafa serve``: matches on request over REST, watched live over WebSocket."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import anyio

from rafa_async._errors import ConfigError
from rafa_async.cli._app import app, fail, out, sim_latency, start_logging
from rafa_async.cli._options import (
    SIM,
    LatencyScaleOption,
    LogFormat,
    LogFormatOption,
    LogLevelOption,
    option,
)
from rafa_async.cli._serve import SERVER, cannot_listen, until_signal
from rafa_async.llm import SIM_LABEL

if TYPE_CHECKING:
    from rafa_async.server import RunningServer, ServerConfig

LIMITS = "Limits"


def print_banner(running: RunningServer, config: ServerConfig) -> None:
    out.print(f"[bold yellow]{SIM_LABEL}[/]", highlight=False)
    out.print(
        f"rafa serve: matches at [bold]{running.url}[/] "
        f"(token {'required' if config.token else 'off: loopback only'})\n"
        f"  live page: {running.url}/{'?token=TOKEN' if config.token else ''}\n"
        "  GET /games, POST /matches, GET /matches, GET /matches/ID, DELETE /matches/ID, "
        "WebSocket /matches/ID/events, GET /openapi.json, GET /metrics\n"
        "  POST /tournaments, GET /tournaments, GET /tournaments/ID, DELETE /tournaments/ID\n"
        f"  at most {config.max_matches} matches and {config.max_ws_clients} WebSocket "
        f"clients at once · sim latency x{config.latency_scale:g}\n"
        "  Ctrl-C to stop",
        highlight=False,
        soft_wrap=True,
    )


async def _serve(config: ServerConfig) -> int:
    from rafa_async.server import running_server

    return await until_signal(
        running_server(config), lambda running: print_banner(running, config), "serve"
    )


@app.command("serve")
def serve(
    host: Annotated[
        str, option("Address to listen on (loopback by default; others need a token).", SERVER)
    ] = "127.0.0.1",
    port: Annotated[int, option("TCP port (0 picks a free one).", SERVER, min=0, max=65535)] = 8080,
    token: Annotated[
        str | None,
        option(
            "Token every request must carry (Authorization: Bearer TOKEN, or ?token=); "
            "default: $RAFA_SERVER_TOKEN.  Required off loopback.",
            SERVER,
        ),
    ] = None,
    max_matches: Annotated[
        int, option("Matches running at once (then 429 with Retry-After).", LIMITS, min=1)
    ] = 16,
    max_ws_clients: Annotated[
        int, option("WebSocket clients at once (then 429 with Retry-After).", LIMITS, min=1)
    ] = 100,
    max_tournaments: Annotated[
        int, option("Tournaments running at once (then 429 with Retry-After).", LIMITS, min=1)
    ] = 2,
    data_dir: Annotated[
        str | None,
        option(
            "Directory for the tournaments' databases (ID.sqlite, kept: a cancelled one can be "
            "resumed); default: a temporary one, removed when the server stops.",
            SERVER,
        ),
    ] = None,
    seed: Annotated[int, option("Seed of the simulated LLM the matches share.", SIM)] = 0,
    latency_scale: LatencyScaleOption = 1.0,
    log_format: LogFormatOption = LogFormat.console,
    log_level: LogLevelOption = "warning",
) -> None:
    """Serve matches on the SIMULATED LLM: start them over REST, watch them over WebSocket.

    POST /matches {"game": "tictactoe", "seats": {"X": "rafa", "O": "random"}, "seed": 1}
    returns an id; GET /matches/ID its status and result; DELETE /matches/ID cancels it;
    WebSocket /matches/ID/events streams a snapshot, then its events as JSON.
    POST /tournaments {"config": "<tournament.toml text>"} runs a tournament;
    GET /tournaments/ID gives its progress and standings.
    The API is described at /openapi.json; metrics at /metrics.

    Example: rafa serve --port 8080 --latency-scale 0.5
    """
    from rafa_async.server import ServerConfig

    start_logging(log_format, log_level)
    try:
        config = ServerConfig(
            host=host,
            port=port,
            token=token,
            max_matches=max_matches,
            max_ws_clients=max_ws_clients,
            max_tournaments=max_tournaments,
            data_dir=data_dir,
            seed=seed,
            latency_scale=sim_latency(latency_scale).scale,
        )
    except ConfigError as error:
        fail(error)
    if data_dir is not None:
        try:  # here, so that a bad one is one line before the server starts
            Path(data_dir).mkdir(parents=True, exist_ok=True)
        except OSError as error:
            fail(f"--data-dir {data_dir}: cannot create it ({error.strerror or error})")
    try:
        signum = anyio.run(_serve, config, backend="asyncio")
    except (OSError, BaseExceptionGroup) as raised:
        cannot_listen(raised, host, port)
    out.print(f"rafa serve: stopped ({signal.Signals(signum).name})", highlight=False)
