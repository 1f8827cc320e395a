"""CPU-bound work off the event loop: ``run_sync_abandonable``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import anyio
import pytest

from rafa_async._concurrency import exception_leaves, first_of, run_sync_abandonable
from rafa_async._errors import ConfigError, ProviderUnavailable


@pytest.mark.anyio
async def test_the_function_runs_in_a_thread_and_returns_its_value(anyio_backend: Any) -> None:
    caller = threading.get_ident()

    assert await run_sync_abandonable(threading.get_ident) != caller
    assert await run_sync_abandonable(lambda: 6 * 7) == 42


@pytest.mark.anyio
async def test_its_exception_is_raised_in_the_caller(anyio_backend: Any) -> None:
    def fail() -> None:
        raise ValueError("no move")

    with pytest.raises(ValueError, match="no move"):
        await run_sync_abandonable(fail)


@pytest.mark.anyio
async def test_cancelling_abandons_a_busy_thread_at_once(anyio_backend: Any) -> None:
    release, finished = threading.Event(), threading.Event()

    def busy() -> None:
        release.wait(30.0)
        finished.set()

    try:
        with anyio.move_on_after(1.0) as scope:
            await run_sync_abandonable(busy)
        assert scope.cancelled_caught
        assert not finished.is_set()  # the caller did not wait for it
    finally:
        release.set()


ABANDON = """
import sys, time, anyio
from rafa_async._concurrency import run_sync_abandonable

async def main() -> None:
    with anyio.move_on_after(0.2):
        await run_sync_abandonable(lambda: time.sleep(60))
    print("abandoned", flush=True)

anyio.run(main, backend=sys.argv[1])
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_an_abandoned_thread_does_not_keep_the_process_alive(backend: str) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(ABANDON), backend],
        capture_output=True,
        text=True,
        timeout=50.0,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "abandoned\n"
    assert time.monotonic() - started < 20.0  # not the thread's 60 s


def test_first_of_reads_a_lone_error_and_nested_groups_alike() -> None:
    lone = ProviderUnavailable("down")
    nested = BaseExceptionGroup(
        "outer", [ValueError("a"), BaseExceptionGroup("inner", [ConfigError("b"), lone])]
    )

    assert exception_leaves(lone) == [lone]
    assert [type(e) for e in exception_leaves(nested)] == [
        ValueError,
        ConfigError,
        ProviderUnavailable,
    ]
    assert first_of(lone, ProviderUnavailable) is lone
    assert first_of(nested, ProviderUnavailable) is lone
    assert isinstance(first_of(nested, Exception), ValueError)
    assert first_of(nested, KeyboardInterrupt) is None
