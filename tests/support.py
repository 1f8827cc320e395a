"""Helpers shared by test modules (pytest puts tests/ on sys.path)."""

from __future__ import annotations

import anyio
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
