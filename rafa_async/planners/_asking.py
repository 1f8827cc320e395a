"""One LLM call of a search, shared by the tree-search planners."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from rafa_async._errors import LLMError
from rafa_async.llm import LLM, ChatRequest, ChatResponse
from rafa_async.planners._base import ValueSample

T = TypeVar("T")


class CallCounts(Protocol):
    """Where a search counts its calls (its progress record)."""

    calls: int
    failed: int


async def ask(
    llm: LLM, request: ChatRequest, parse: Callable[[ChatResponse], T], counts: CallCounts
) -> T | None:
    """The answer to ``request``, parsed; ``None`` if the call failed or its
    answer was unusable (a search drops such samples).  Both count in
    ``counts``.  Cancelled by cancelling the caller's scope."""
    counts.calls += 1
    try:
        return parse(await llm.complete(request))
    except LLMError:
        counts.failed += 1
        return None


class Critic(Protocol):
    """What reading an evaluation needs of a world model."""

    def parse_value(self, text: str) -> float: ...


def value_sample(world: Critic, response: ChatResponse) -> ValueSample:
    """An evaluation's value, with the confidence the provider reported."""
    return ValueSample(world.parse_value(response.text), response.confidence)
