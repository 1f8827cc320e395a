"""Helpers shared by test modules (pytest puts tests/ on sys.path)."""

from __future__ import annotations

import anyio

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
