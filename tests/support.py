"""Helpers shared by test modules (pytest puts tests/ on sys.path)."""

from __future__ import annotations

from typer.testing import CliRunner, Result

from rafa_async.cli import app
from rafa_async.llm import LatencyModel, NoiseModel, SimLLM
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
