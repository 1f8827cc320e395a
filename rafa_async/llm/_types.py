"""Requests, responses and the one protocol every LLM (and middleware) speaks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import Literal, Protocol, runtime_checkable

import msgspec

Role = Literal["system", "user", "assistant"]
IntentKind = Literal["propose", "evaluate", "predict", "solve", "reflect"]


class Message(msgspec.Struct, frozen=True):
    role: Role
    content: str


class Intent(msgspec.Struct, frozen=True, kw_only=True):
    """What a request asks, in structured form, beside its prompt text.

    Real providers ignore it (it never reaches the wire unless a transport is
    told to send it); the simulated LLM answers from it.  ``state`` and
    ``memory`` are the scenario's canonical text for the state and for the
    memory lines the prompt contains; ``sample`` distinguishes independent
    samples of the same question (what temperature does for a real model).
    """

    kind: IntentKind
    scenario: str
    state: str
    memory: tuple[str, ...] = ()
    sample: int = 0
    detail: str = ""


class ChatRequest(msgspec.Struct, frozen=True, kw_only=True):
    messages: tuple[Message, ...]
    model: str = "default"
    temperature: float = 0.7
    max_tokens: int | None = None
    intent: Intent | None = None

    @property
    def label(self) -> str:
        """Short name for traces: the intent kind, or ``chat``."""
        return self.intent.kind if self.intent is not None else "chat"


class Usage(msgspec.Struct, frozen=True):
    """Tokens a call used.  ``cached_prompt_tokens`` is the part of
    ``prompt_tokens`` the provider served from its prompt cache (billed at a
    lower price by some providers)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class ChatResponse(msgspec.Struct, frozen=True, kw_only=True):
    """One completion.

    ``time_to_first_token`` is set only when the call was streamed: seconds
    (on ``anyio.current_time()``'s clock) from sending the request to the
    first text delta.

    ``confidence`` is the model's own probability that the state it was asked
    to judge (an ``evaluate`` intent) is good -- what a provider's token
    logprobs give for the verdict, summed over the favourable verdicts.  Only
    the simulated LLM sets it today (from its belief channel, never from the
    ground truth); None means not reported, and answers recorded before the
    field existed decode with None.  RAFA's ``info-gain`` switching reads it.
    """

    text: str
    model: str
    usage: Usage = Usage()
    finish_reason: str = "stop"
    simulated: bool = False
    time_to_first_token: float | None = None
    confidence: float | None = None


@runtime_checkable
class LLM(Protocol):
    """Anything that completes a chat request: a provider, the sim, or middleware.

    ``complete`` may be cancelled at any await; it then raises the backend's
    cancellation exception and must leave nothing running.
    """

    async def complete(self, request: ChatRequest) -> ChatResponse: ...


class ChatStream(Protocol):
    """The text deltas of one streamed completion, in order.

    Iterate it to the end, then read ``response`` (the whole completion, with
    usage and ``time_to_first_token``); reading it earlier raises
    ``RuntimeError``.
    """

    def __aiter__(self) -> AsyncIterator[str]: ...

    @property
    def response(self) -> ChatResponse: ...


@runtime_checkable
class StreamingLLM(LLM, Protocol):
    """An LLM that can also stream: ``async with llm.stream(request) as s:
    async for delta in s: ...``.  Leaving the context early (or being
    cancelled) closes the underlying connection."""

    def stream(self, request: ChatRequest) -> AbstractAsyncContextManager[ChatStream]: ...


def estimate_tokens(text: str) -> int:
    """Rough token count (~4 characters a token), used when no tokenizer is at hand."""
    return max(1, (len(text) + 3) // 4)


def prompt_tokens(request: ChatRequest) -> int:
    """Rough prompt tokens of ``request`` (its messages, ~3 tokens of framing
    each): what a rate limiter reserves before the call, and what an adapter
    reports when the provider sends no count."""
    return sum(estimate_tokens(m.content) + 3 for m in request.messages)
