"""The exceptions users catch.

RafaError
├── ConfigError          bad input: unknown scenario/agent, bad range, bad file
│   └── CassetteMismatch  a replay does not match its cassette (request, provider, model)
├── ProviderUnavailable  the provider cannot serve the run (bad key, unknown model, down)
└── LLMError             one LLM call failed (after middleware gave up)
    ├── RateLimited      the provider asked us to slow down (retryable)
    ├── ProviderError    the provider failed; ``retryable`` says whether to retry
    │   ├── ConnectFailed    the server could not be reached (retryable)
    │   └── ConnectionLost   the connection ended mid-response (retryable)
    ├── LLMTimeout       a call took longer than its timeout (retryable)
    └── MalformedResponse  the answer could not be parsed into what was asked
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_RETRY_AFTER = 60.0
"""The longest wait, in seconds, a server's retry hint may impose on a retry
(as the openai SDK: it honours hints up to 60 s).  A longer hint ("retry in an
hour") is waited for 60 s, then the call is tried again: its retries, not one
wait, decide when to give up."""


class RafaError(Exception):
    """Base class of every error rafa-async raises on purpose."""


class ConfigError(RafaError, ValueError):
    """Input or configuration is wrong; the message names what and how to fix it.

    ``fields``: the inputs the message names, each as the library calls it
    (``max_concurrency``, a field of the config or options it checked), so
    that a front end calling them otherwise can say its own names: the
    ``rafa`` CLI reports ``max_concurrency must be >= 1`` as
    ``--max-concurrency must be >= 1``.  Every whole-word occurrence of a
    listed name in the message names that input.
    """

    def __init__(self, message: str = "", *, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.fields = tuple(fields)


class CassetteMismatch(ConfigError):
    """A replayed run does not match its cassette: it made a request the
    cassette has no answer for, or the cassette was recorded from another LLM.

    A :class:`ConfigError`, not an :class:`LLMError`: agents tolerate failed
    LLM calls, and a replay that diverged must stop, never be absorbed.
    """


class LLMError(RafaError):
    """An LLM call failed.  ``retryable`` tells the Retry middleware what to do.

    ``fatal``: no later call can succeed either (a rejected key, an unknown
    model, a server that stays unreachable after the retries).  A planner
    shrugs off a failed call and samples on; a fatal one ends the run instead
    (:class:`~rafa_async.llm.MiddlewareStack` raises
    :class:`ProviderUnavailable`), rather than letting every call fail.
    """

    retryable: bool = False
    fatal: bool = False
    retry_after: float | None = None
    """The server's own hint, in seconds, for when to try again (``Retry-After``,
    ``retry-after-ms``, a rate limit's reset), on any status that carries one
    (429, 503, 529...); ``None`` if it gave none.  The Retry middleware waits
    at least that long, up to :data:`MAX_RETRY_AFTER`."""


class RateLimited(LLMError):
    """The provider rejected the call for rate (HTTP 429); ``retry_after`` is
    its hint, when it gave one."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderError(LLMError):
    """The provider answered with an error (HTTP status ``status``)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retryable: bool = False,
        fatal: bool | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after
        # 401/403/404: the key or the model is wrong for every call alike.
        self.fatal = status in (401, 403, 404) if fatal is None else fatal


class ConnectFailed(ProviderError):
    """No connection to the server (refused, unknown host, connect timeout)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=None, retryable=True, fatal=True)


class ConnectionLost(ProviderError):
    """The connection closed before the response was complete (e.g. a stream
    cut mid-way)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=None, retryable=True)


class ProviderUnavailable(RafaError):
    """The provider cannot serve this run at all (see :attr:`LLMError.fatal`);
    the message names the provider and what to do.  Not an :class:`LLMError`,
    so planners that shrug off one failed call do not swallow it."""


class LLMTimeout(LLMError):
    """A call exceeded its per-call timeout."""

    retryable = True


class MalformedResponse(LLMError):
    """The model answered, but not in the format the prompt asked for.

    ``text`` keeps the offending answer (truncated) so it can be logged.
    """

    def __init__(self, message: str, *, text: str = "") -> None:
        super().__init__(message)
        self.text = text[:500]
