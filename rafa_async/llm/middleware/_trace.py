"""LLM calls as events (started, ended) for the event log."""

from __future__ import annotations

import itertools
import time

import anyio

from rafa_async._context import current_scope
from rafa_async._events import EventRecorder, LLMCallEnded, LLMCallStarted
from rafa_async.llm._types import LLM, ChatRequest, ChatResponse


class Traced:
    """Emits :class:`LLMCallStarted` / :class:`LLMCallEnded` for every call.

    A recorder whose events go nowhere (``recorder.enabled`` False: a
    :class:`~rafa_async.NullSink`, what a run without an event file has) gets
    none: the calls pass straight through, without building or stamping events.
    """

    def __init__(self, inner: LLM, recorder: EventRecorder) -> None:
        self._inner = inner
        self._recorder = recorder
        self._ids = itertools.count()

    async def complete(self, request: ChatRequest) -> ChatResponse:
        if not self._recorder.enabled:
            return await self._inner.complete(request)
        call = next(self._ids)
        episode = current_scope().episode
        intent = request.label
        emit = self._recorder.emit
        emit(LLMCallStarted(call=call, episode=episode, intent=intent))
        started = time.perf_counter()
        try:
            response = await self._inner.complete(request)
        except anyio.get_cancelled_exc_class():
            emit(LLMCallEnded(call=call, episode=episode, intent=intent, outcome="cancelled"))
            raise
        except BaseException as error:
            emit(
                LLMCallEnded(
                    call=call,
                    episode=episode,
                    intent=intent,
                    outcome="error",
                    error=f"{type(error).__name__}: {error}",
                )
            )
            raise
        emit(
            LLMCallEnded(
                call=call,
                episode=episode,
                intent=intent,
                outcome="ok",
                prompt_tokens=response.usage.prompt_tokens,
                completion_tokens=response.usage.completion_tokens,
                latency=time.perf_counter() - started,
                ttft=response.time_to_first_token,
            )
        )
        return response
