"""Ctrl-C: a run stops at once, keeps every finished record, says so on one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import typer
from support import rafa

from rafa_async import read_events
from rafa_async.cli._interrupt import Interrupted, report_interrupted, until_interrupted


@pytest.fixture
def sigint_default() -> Iterator[None]:
    """SIGINT as a terminal delivers it, whatever the suite inherited (a run
    started in the background, under nohup, ignores it -- and the run would
    then rightly wait for ever)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.anyio
async def test_sigint_cancels_the_run_and_its_cleanup_runs(
    anyio_backend: Any, sigint_default: None
) -> None:
    cleaned_up = False

    async def run() -> None:
        nonlocal cleaned_up
        try:
            await anyio.sleep(5.0)
            signal.raise_signal(signal.SIGINT)
            await anyio.sleep_forever()
        finally:
            cleaned_up = True

    with pytest.raises(Interrupted):
        await until_interrupted(run)
    assert cleaned_up


@pytest.fixture
def sigint_ignored() -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.anyio
async def test_an_ignored_sigint_stays_ignored(anyio_backend: Any, sigint_ignored: None) -> None:
    async def run() -> str:
        signal.raise_signal(signal.SIGINT)
        await anyio.sleep(1.0)
        return "finished"

    assert await until_interrupted(run) == "finished"


def test_ctrl_c_in_a_task_group_is_one_line_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A KeyboardInterrupt raised in a task (not a SIGINT the run's handler
    # takes) comes out of trio's task groups as a BaseExceptionGroup.
    log = tmp_path / "log.jsonl"
    made = rafa("play", "tictactoe", "--episodes", "1", "--latency-scale", "0", "--log", str(log))
    assert made.exit_code == 0, made.output

    async def ctrl_c(*args: object, **kwargs: object) -> None:
        async def press() -> None:
            raise KeyboardInterrupt

        async with anyio.create_task_group() as tg:
            tg.start_soon(press)
            await anyio.sleep_forever()

    monkeypatch.setattr("rafa_async.cli._replay.replay_matches", ctrl_c)
    result = rafa("play", "--replay", str(log))

    assert result.exit_code == 130
    assert result.stderr.strip() == "interrupted"
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("done", "out", "line"),
    [
        (3, Path("r.jsonl"), "interrupted: 3 of 10 done, results in r.jsonl"),
        (3, None, "interrupted: 3 of 10 done (no --out given)"),
        (3, Path("-"), "interrupted: 3 of 10 done, results on stdout"),
        (0, Path("r.jsonl"), "interrupted: 0 of 10 done, nothing written"),
    ],
)
def test_the_interrupted_line_says_where_the_results_are(
    done: int, out: Path | None, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(typer.Exit) as stopped:
        report_interrupted(done, 10, out)

    assert stopped.value.exit_code == 130
    assert capsys.readouterr().err == line + "\n"


# -- a real Ctrl-C to a real process ----------------------------------------------

COMMANDS = {
    "run": (["run", "game24", "--puzzles", "901-1000"], 100),
    "play": (["play", "tictactoe", "--x", "rafa", "--o", "random", "--episodes", "200"], 200),
}


def wait_for_a_line(path: Path, process: subprocess.Popen[str], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not (path.exists() and path.read_bytes().count(b"\n") >= 1):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"no result within {seconds} s: {process.communicate()}")
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["trio", "asyncio"])
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_ctrl_c_stops_keeps_the_finished_records_and_says_so(
    tmp_path: Path, command: str, backend: str
) -> None:
    args, total = COMMANDS[command]
    out, trace = tmp_path / "out.jsonl", tmp_path / "trace.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-c", "from rafa_async.cli import main; main()", *args,
         "--backend", backend, "--concurrency", "2", "--latency-scale", "0.05",
         "--out", str(out), "--trace", str(trace)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        # A test run in the background may ignore SIGINT; Ctrl-C must reach rafa.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    wait_for_a_line(out, process, 60.0)

    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    stdout, stderr = process.communicate(timeout=60.0)

    assert time.monotonic() - sent < 10.0
    assert process.returncode == 130
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert 1 <= len(records) < total
    assert stderr.splitlines() == [f"interrupted: {len(records)} of {total} done, results in {out}"]
    assert stdout == ""
    assert list(read_events(trace))  # closed cleanly: every frame is whole
