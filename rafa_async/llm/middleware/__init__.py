"""Composable LLM middleware: each layer wraps an ``LLM`` and is an ``LLM``.

Recommended order, outermost first (what :class:`MiddlewareStack` builds)::

    Traced -> UsageMeter -> CircuitBreaker -> Retry -> Timeout -> ConcurrencyLimit
        -> provider

Accounting sits outside Retry so one logical call is counted once, whatever
its attempts; so does the circuit breaker, which counts calls failed after
their retries; Timeout sits inside Retry so each attempt gets the full budget;
the limiter is innermost so a call waiting out a backoff holds no slot.  The
opt-in layers (rate limit, cache, record/replay, prices) have their places
too; :class:`MiddlewareStack` says where each goes and why.  One module per
layer.
"""

from rafa_async.llm.middleware._breaker import (
    DEFAULT_MAX_CONSECUTIVE_FAILURES as DEFAULT_MAX_CONSECUTIVE_FAILURES,
    CircuitBreaker as CircuitBreaker,
)
from rafa_async.llm.middleware._cache import Cache as Cache
from rafa_async.llm.middleware._cassette import (
    CassetteEntry as CassetteEntry,
    CassetteHeader as CassetteHeader,
    RecordedError as RecordedError,
    Recorder as Recorder,
    Replayer as Replayer,
    read_cassette as read_cassette,
)
from rafa_async.llm.middleware._limit import ConcurrencyLimit as ConcurrencyLimit
from rafa_async.llm.middleware._ratelimit import RateLimit as RateLimit
from rafa_async.llm.middleware._retry import Retry as Retry
from rafa_async.llm.middleware._stack import MiddlewareStack as MiddlewareStack
from rafa_async.llm.middleware._timeout import Timeout as Timeout
from rafa_async.llm.middleware._trace import Traced as Traced
from rafa_async.llm.middleware._usage import UsageMeter as UsageMeter

__all__ = [
    "DEFAULT_MAX_CONSECUTIVE_FAILURES",
    "Cache",
    "CassetteEntry",
    "CassetteHeader",
    "CircuitBreaker",
    "ConcurrencyLimit",
    "MiddlewareStack",
    "RateLimit",
    "RecordedError",
    "Recorder",
    "Replayer",
    "Retry",
    "Timeout",
    "Traced",
    "UsageMeter",
    "read_cassette",
]
