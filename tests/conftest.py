"""Every async test runs on trio and on asyncio, both with virtual time.

trio gets ``MockClock(autojump_threshold=0)``; asyncio gets
:class:`rafa_async.testing.VirtualTimeEventLoop`, which follows the same rule:
when every task is blocked, the clock jumps to the next timer.  So sleeps,
timeouts, backoffs and simulated LLM latency cost no real time on either.
"""

from __future__ import annotations

from typing import Any

import pytest

from rafa_async.testing import backend_options


@pytest.fixture(params=["trio", "asyncio"])
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    return request.param, backend_options(request.param)
