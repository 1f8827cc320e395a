"""Every async test runs on trio and on asyncio, both with virtual time.

trio gets :func:`rafa_async.testing.autojump_clock` (trio's autojumping
``MockClock``, without its busy wait on threads); asyncio gets
:class:`rafa_async.testing.VirtualTimeEventLoop`, which follows the same rule:
when every task is blocked, the clock jumps to the next timer.  So sleeps,
timeouts, backoffs and simulated LLM latency cost no real time on either.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from rafa_async.testing import backend_options

# rich fixes a console's width when the console is made (at the import of
# rafa_async.cli, by the test modules after this file): the same width in
# every pytest process (pytest-xdist's workers too), wide enough that tables
# and summary lines never wrap.
os.environ["COLUMNS"] = "200"


@pytest.fixture(params=["trio", "asyncio"])
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    return request.param, backend_options(request.param)


@pytest.fixture(autouse=True)
def _fresh_structlog() -> Iterator[None]:
    """CLI tests configure structlog to write to a captured stream that is closed
    afterwards; put the defaults back so later tests never log into it."""
    yield
    structlog.reset_defaults()


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A loopback port that something is already listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]
