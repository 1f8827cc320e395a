"""Counting every LLM call once, with its tokens and cost."""

from __future__ import annotations

import anyio
import structlog

from rafa_async._context import CALL_NOTE, CallCounts, CallNote, current_scope
from rafa_async.llm._cost import PriceTable
from rafa_async.llm._types import LLM, ChatRequest, ChatResponse

_log = structlog.get_logger(__name__)


class UsageMeter:
    """Counts every call exactly once as completed, failed or cancelled, with
    its tokens and cost.

    Counts go to ``totals`` (this wrapper's lifetime: the run) and to every
    episode scope of the calling task (see :func:`rafa_async.episode_scope`:
    a match, an agent within it).  A completed call costs, by ``prices``, the
    usage of the model that answered; a call answered by the cache or a
    cassette, or by the simulated LLM, costs nothing.  A model missing from
    ``prices`` (or any real model, without ``prices``) makes the cost unknown
    (``CallCounts.cost`` is ``None``, never a silent 0), with one warning per
    model when a table was given.
    """

    def __init__(self, inner: LLM, *, prices: PriceTable | None = None) -> None:
        self._inner = inner
        self.prices = prices
        self.totals = CallCounts()
        self._warned: set[str] = set()

    async def complete(self, request: ChatRequest) -> ChatResponse:
        tallies = (self.totals, *current_scope().tallies)
        for counts in tallies:
            counts.started += 1
        note = CallNote()
        token = CALL_NOTE.set(note)
        try:
            response = await self._inner.complete(request)
        except anyio.get_cancelled_exc_class():
            for counts in tallies:
                counts.cancelled += 1
            raise
        except BaseException as error:
            name = type(error).__name__
            described = f"{name}: {error}"
            for counts in tallies:
                counts.failed += 1
                counts.errors[name] = counts.errors.get(name, 0) + 1
                counts.last_error = described
            raise
        finally:
            CALL_NOTE.reset(token)
        usage = response.usage
        cost = 0.0 if note.cached or response.simulated else self._cost(request, response)
        for counts in tallies:
            counts.completed += 1
            counts.prompt_tokens += usage.prompt_tokens
            counts.completion_tokens += usage.completion_tokens
            if note.cached:
                counts.cached += 1
            if response.simulated:
                counts.simulated += 1
            if response.time_to_first_token is not None:
                counts.streamed += 1
                counts.ttft_total += response.time_to_first_token
            if cost is None:
                counts.unpriced += 1
            else:
                counts.cost_usd += cost
        return response

    def _cost(self, request: ChatRequest, response: ChatResponse) -> float | None:
        if self.prices is None:
            return None
        model = response.model or request.model
        cost = self.prices.cost(model, response.usage)
        if cost is None and model not in self._warned:
            self._warned.add(model)
            _log.warning(
                "llm_model_unpriced",
                model=model,
                prices_as_of=self.prices.as_of,
                hint="add the model to the price table; its cost is reported as unknown",
            )
        return cost
