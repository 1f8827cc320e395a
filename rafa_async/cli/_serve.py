"""``rafa sim-serve``: the simulated LLM as an OpenAI-compatible HTTP server."""

from __future__ import annotations

import errno
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import anyio

from rafa_async._concurrency import exception_leaves
from rafa_async.cli._app import (
    above,
    app,
    at_least,
    err,
    fail,
    out,
    sim_latency,
    start_logging,
)
from rafa_async.cli._console import INTERRUPTED
from rafa_async.cli._options import (
    SIM,
    LatencyScaleOption,
    LogFormat,
    LogFormatOption,
    LogLevelOption,
    option,
)
from rafa_async.llm import SIM_LABEL, FaultModel, SimLLM
from rafa_async.scenarios import simulated_llm

if TYPE_CHECKING:
    from rafa_async.app.sim_server import SimServer

SERVER = "Server"
FAULTS = "Faults (all off by default)"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
T = TypeVar("T")


def fault_model(
    rate_limit_rate: float,
    retry_after: float,
    server_error_rate: float,
    hang_rate: float,
    hang_seconds: float,
) -> FaultModel:
    """The fault model the options ask for; one error line if they make no sense."""
    rates = {
        "--rate-limit-rate": rate_limit_rate,
        "--server-error-rate": server_error_rate,
        "--hang-rate": hang_rate,
    }
    for flag, rate in rates.items():
        if not 0.0 <= rate <= 1.0:
            fail(f"{flag} must be a probability in [0, 1], got {rate:g}")
    if sum(rates.values()) > 1.0:
        fail(f"the fault rates ({', '.join(rates)}) add up to more than 1")
    return FaultModel(
        rate_limit_rate=rate_limit_rate,
        retry_after=at_least("--retry-after", retry_after, 0, unit=" seconds"),
        server_error_rate=server_error_rate,
        hang_rate=hang_rate,
        hang_seconds=above("--hang-seconds", hang_seconds, 0, unit=" seconds"),
    )


def print_banner(server: SimServer, sim: SimLLM) -> None:
    faults = sim.faults
    fault_text = (
        f"429 {faults.rate_limit_rate:g} (Retry-After {faults.retry_after:g}s), "
        f"500 {faults.server_error_rate:g}, hang {faults.hang_rate:g} ({faults.hang_seconds:g}s)"
        if faults.enabled
        else "off"
    )
    out.print(f"[bold yellow]{SIM_LABEL}[/]", highlight=False)
    out.print(
        f"rafa sim-serve: OpenAI-compatible API at [bold]{server.base_url}[/]\n"
        f"  models: {', '.join(server.models)} · seed {sim.seed} · "
        f"latency x{sim.latency.scale:g} · faults: {fault_text}\n"
        "  POST /v1/chat/completions (stream or not; structured intent in 'rafa_intent'), "
        "GET /v1/models\n"
        "  Ctrl-C to stop",
        highlight=False,
        soft_wrap=True,
    )


async def serve_until_signal(sim: SimLLM, host: str, port: int, models: list[str]) -> int:
    """Serve ``sim`` until SIGINT or SIGTERM (see :func:`until_signal`)."""
    from rafa_async.app.sim_server import running_sim_server

    server = running_sim_server(sim, host=host, port=port, models=models)
    return await until_signal(server, lambda running: print_banner(running, sim), "sim-serve")


async def until_signal(
    server: AbstractAsyncContextManager[T], banner: Callable[[T], None], command: str
) -> int:
    """Run ``server`` until SIGINT or SIGTERM, then shut down gracefully;
    returns the signal.

    The graceful shutdown gives requests in flight a few seconds (a hanging
    one, up to ten) and is shielded from cancellation; a second signal
    meanwhile stops the process at once (:func:`stop_at_once`) instead of
    being ignored.  The signal receiver stays open to the end: its handler
    wakes the event loop whichever thread the signal lands on (a plain
    ``signal.signal`` handler waits until the main thread wakes up).
    """
    async with anyio.create_task_group() as tg:
        with anyio.open_signal_receiver(*STOP_SIGNALS) as signals:
            async with server as running:
                banner(running)
                signum = await anext(aiter(signals))
                out.print(
                    f"rafa {command}: stopping ({signal.Signals(signum).name}); "
                    "Ctrl-C again to stop at once",
                    highlight=False,
                )
                tg.start_soon(stop_at_once, signals)
            tg.cancel_scope.cancel()
    return int(signum)


async def stop_at_once(signals: AsyncIterator[int]) -> None:
    """On the next signal, exit with status 130 without waiting for the
    graceful shutdown; ``os._exit``, since nothing can cancel that shielded
    wait (and a sim server has no files to flush)."""
    signum = await anext(signals)
    err.print(f"interrupted ({signal.Signals(signum).name} again)", highlight=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED)


def cannot_listen(raised: BaseException, host: str, port: int) -> NoReturn:
    """One error line if ``raised`` is the server's failure to listen (e.g.
    the port is in use); anything else is re-raised."""
    error = lone_os_error(raised)
    if error is None:
        raise raised
    hint = (
        " (another server is using it: pick another --port, or --port 0 for a free one)"
        if error.errno == errno.EADDRINUSE
        else ""
    )
    reason = error.strerror or str(error)
    fail(f"cannot listen on {host}:{port}: {reason}{hint}")


def lone_os_error(error: BaseException) -> OSError | None:
    """``error`` if it is an :class:`OSError`, or the only one in a task group's
    exception group (the server could not listen); else ``None``."""
    leaves = exception_leaves(error)
    return leaves[0] if len(leaves) == 1 and isinstance(leaves[0], OSError) else None


@app.command("sim-serve")
def sim_serve(
    host: Annotated[str, option("Address to listen on (loopback by default).", SERVER)] = (
        "127.0.0.1"
    ),
    port: Annotated[int, option("TCP port (0 picks a free one).", SERVER, min=0, max=65535)] = 8000,
    model: Annotated[
        list[str] | None,
        option("Model name to answer to (repeatable; default: sim). Others get a 404.", SERVER),
    ] = None,
    seed: Annotated[int, option("Seed of the simulated LLM (same seed, same answers).", SIM)] = 0,
    latency_scale: LatencyScaleOption = 1.0,
    rate_limit_rate: Annotated[
        float, option("Share of attempts answered 429 with Retry-After.", FAULTS)
    ] = 0.0,
    retry_after: Annotated[float, option("Retry-After of a 429, in seconds.", FAULTS)] = 1.0,
    server_error_rate: Annotated[float, option("Share of attempts answered 500.", FAULTS)] = 0.0,
    hang_rate: Annotated[
        float, option("Share of attempts that hang (test client timeouts).", FAULTS)
    ] = 0.0,
    hang_seconds: Annotated[float, option("How long a hanging attempt hangs.", FAULTS)] = 600.0,
    log_format: LogFormatOption = LogFormat.console,
    log_level: LogLevelOption = "warning",
) -> None:
    """Serve the SIMULATED LLM as an OpenAI-compatible API (/v1/chat/completions, /v1/models).

    Any OpenAI client can talk to it; requests that carry the structured intent
    in the extra body field 'rafa_intent' get the same answers as the in-process
    sim with the same seed, others a sim-labelled reply.

    Example: rafa sim-serve --port 8000 --latency-scale 0 --rate-limit-rate 0.1
    """
    start_logging(log_format, log_level)
    sim = simulated_llm(
        seed=seed,
        latency=sim_latency(latency_scale),
        faults=fault_model(
            rate_limit_rate, retry_after, server_error_rate, hang_rate, hang_seconds
        ),
    )
    try:
        signum = anyio.run(serve_until_signal, sim, host, port, model or [], backend="asyncio")
    except (OSError, BaseExceptionGroup) as raised:
        cannot_listen(raised, host, port)
    out.print(f"rafa sim-serve: stopped ({signal.Signals(signum).name})", highlight=False)
