"""Helpers shared by test modules (pytest puts tests/ on sys.path)."""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import anyio
import pytest
from typer.testing import CliRunner, Result

from rafa_async.cli import app
from rafa_async.llm import ChatRequest, ChatResponse, LatencyModel, NoiseModel, SimLLM, Usage
from rafa_async.scenarios.game24 import Game24Oracle

CALL_SECONDS = 1.0
"""Simulated latency of every call of :func:`game24_sim`."""


def game24_sim(**overrides: float) -> SimLLM:
    """A Game of 24 sim that knows the game exactly, unless ``overrides`` say
    otherwise; every call takes exactly :data:`CALL_SECONDS`."""
    return SimLLM(
        {"game24": Game24Oracle()},
        seed=0,
        noise=NoiseModel.perfect(**overrides),
        latency=LatencyModel.fixed(CALL_SECONDS),
    )


TINY_TOURNAMENT = """\
name = "tiny"
games = ["tictactoe"]
games_per_pairing = 2
concurrency = 4
latency_scale = 0.0

[[participants]]
name = "direct"
kind = "direct"

[[participants]]
name = "perfect"
kind = "perfect"

[[participants]]
name = "random"
kind = "random"
"""
"""A tournament.toml of six instant tic-tac-toe matches: the direct LLM
player, a perfect policy and a random one, in a round robin."""


def closed_port() -> int:
    """A loopback port nothing listens on (a provider that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def rafa(*args: str) -> Result:
    """Run the ``rafa`` command line in process (typer's test runner)."""
    # Wide enough that rich neither wraps nor truncates option names.
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def assert_one_line_error(result: Result, *fragments: str) -> None:
    """The command failed on bad input: status 2, one ``error:`` line naming
    each of ``fragments``, no traceback."""
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


class EchoLLM:
    """Answers every request from its last message, counting calls.

    ``latency`` virtual seconds a call; ``errors`` are raised one per call, in
    order, before it starts answering.  ``identity`` feeds cache keys.
    """

    def __init__(
        self, *errors: BaseException, latency: float = 0.0, identity: str = "echo"
    ) -> None:
        self.errors = list(errors)
        self.latency = latency
        self.identity = identity
        self.requests: list[ChatRequest] = []

    @property
    def calls(self) -> int:
        return len(self.requests)

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        await anyio.sleep(self.latency)
        if self.errors:
            raise self.errors.pop(0)
        text = request.messages[-1].content
        return ChatResponse(
            text=f"echo: {text}",
            model=request.model,
            usage=Usage(prompt_tokens=len(text), completion_tokens=len(text) + 6),
        )


# -- `rafa sim-serve` as a real process ------------------------------------------

URL = re.compile(rb"(http://127\.0\.0\.1:\d+/v1)")


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    banner: bytes


def start_sim_serve(*options: str) -> Server:
    """``rafa sim-serve`` on a free port; waits (20 s at most) for its banner."""
    return start_server("sim-serve", URL, *options)


def start_server(command: str, url: re.Pattern[bytes], *options: str) -> Server:
    """``rafa COMMAND`` (a server) on a free port; waits (20 s at most) for
    its banner, which ends with "Ctrl-C to stop", and finds ``url`` in it."""
    argv = [sys.executable, "-c", "from rafa_async.cli import main; main()", command]
    process = subprocess.Popen(
        [*argv, "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert process.stdout is not None
    banner = b""
    deadline = time.monotonic() + 20.0
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b"Ctrl-C to stop" not in banner:
            remaining = deadline - time.monotonic()
            chunk = os.read(process.stdout.fileno(), 4096) if selector.select(remaining) else b""
            if not chunk:
                process.kill()
                process.communicate()
                pytest.fail(f"rafa {command} did not start: {banner.decode()}")
            banner += chunk
    found = url.search(banner)
    assert found is not None, banner
    return Server(process, found.group(1).decode(), banner)


def stop(server: Server, signum: signal.Signals) -> tuple[int, str]:
    """Send ``signum``; the exit status and the rest of the output."""
    server.process.send_signal(signum)
    try:
        rest, _ = server.process.communicate(timeout=20.0)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.communicate()
        raise
    return server.process.returncode, rest.decode()


@contextmanager
def serving(*options: str) -> Iterator[Server]:
    """``rafa sim-serve OPTIONS`` for the body of the ``with``; then SIGTERM,
    on which it must exit 0 (killed instead if the body failed)."""
    running = start_sim_serve(*options)
    try:
        yield running
    except BaseException:
        running.process.kill()
        running.process.communicate()
        raise
    status, rest = stop(running, signal.SIGTERM)
    assert status == 0, rest
