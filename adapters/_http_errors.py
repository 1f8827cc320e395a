"""From a provider's HTTP error to one typed, readable rafa-async error.

Both wire protocols wrap errors alike (``{"error": {"message", "type"}}``;
vLLM's older servers put ``message``/``type``/``code`` at the top level and
Ollama sends ``{"error": "text"}``), so one mapping serves every adapter:

====================  ==============================================  =========
HTTP status           error                                           retried
====================  ==============================================  =========
401, 403              ProviderError: the key was rejected / refused   no
404                   ProviderError: unknown model or wrong base_url  no
429                   RateLimited                                     yes
429 insufficient      ProviderError: the account has no quota left    no
other 4xx             ProviderError with the server's message         no
408, 409, 5xx, 529    ProviderError                                   yes
====================  ==============================================  =========

Every retried error carries the server's wait hint (``retry_after``: from
``retry-after-ms``, ``Retry-After`` in seconds or as an HTTP date, or the
providers' rate-limit reset headers), whatever its status: a 503 or 529 with
``Retry-After`` is retried when the server said, as a 429 is.

Error *events* inside a stream carry a type instead of a status; it is
mapped to the status above.  Messages never contain the API key.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping
from datetime import datetime

import msgspec

from rafa_async import (
    ConnectFailed,
    ConnectionLost,
    LLMError,
    LLMTimeout,
    MalformedResponse,
    ProviderError,
    RateLimited,
)


class _ErrorDetail(msgspec.Struct):
    message: str = ""
    type: str | None = None
    code: str | int | None = None


class _ErrorEnvelope(msgspec.Struct):
    error: _ErrorDetail | str | None = None
    message: str | None = None
    type: str | None = None
    code: str | int | None = None


_envelope_decoder = msgspec.json.Decoder(_ErrorEnvelope)

# Error types (Anthropic's and OpenAI's) as the HTTP status they stand for.
_STATUS_OF_TYPE = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "api_error": 500,
    "server_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}
_RETRYABLE_4XX = frozenset({408, 409})
_MAX_QUOTED = 300


class ServerError(msgspec.Struct, frozen=True):
    """What the server said about an error, as far as it said anything."""

    message: str = ""
    type: str | None = None
    code: str | int | None = None

    @classmethod
    def from_body(cls, body: bytes | str) -> ServerError:
        try:
            envelope = _envelope_decoder.decode(body)
        except msgspec.DecodeError:
            text = body if isinstance(body, str) else body.decode("utf-8", "replace")
            return cls(text.strip())
        detail = envelope.error
        if isinstance(detail, _ErrorDetail):
            return cls(detail.message, detail.type, detail.code)
        if isinstance(detail, str):
            return cls(detail)
        return cls(envelope.message or "", envelope.type, envelope.code)

    @property
    def status(self) -> int:
        """The HTTP status this error stands for (inside a stream, where there is none)."""
        if isinstance(self.code, int) and 400 <= self.code < 600:
            return self.code
        for name in (self.type, self.code):
            if isinstance(name, str) and name in _STATUS_OF_TYPE:
                return _STATUS_OF_TYPE[name]
        return 500

    @property
    def quota_exhausted(self) -> bool:
        return "insufficient_quota" in (self.type, self.code)


class ErrorMapper:
    """Builds the errors of one provider; knows its name, base_url, model and
    key variable, and the key itself only to scrub it from messages."""

    __slots__ = ("_secret", "api_key_env", "base_url", "has_key", "model", "who")

    def __init__(
        self, *, name: str, base_url: str, model: str, api_key_env: str | None, key: str | None
    ) -> None:
        self.who = f"{name} at {base_url}"
        self.base_url = base_url
        self.model = model
        self.api_key_env = api_key_env
        self.has_key = bool(key)
        self._secret = key or None

    def __repr__(self) -> str:
        return f"ErrorMapper({self.who!r})"

    def redact(self, text: str) -> str:
        return text.replace(self._secret, "[redacted]") if self._secret else text

    def _quote(self, server: ServerError) -> str:
        text = " ".join(server.message.split())
        if len(text) > _MAX_QUOTED:
            text = text[:_MAX_QUOTED] + "..."
        return f": {self.redact(text)}" if text else ""

    def for_status(
        self, status: int, server: ServerError, headers: Mapping[str, str] | None = None
    ) -> LLMError:
        """The error for an HTTP ``status`` (or an in-stream error mapped to one)."""
        who, quoted = self.who, self._quote(server)
        wait = retry_after(headers or {})
        hint = f"retry after {wait:g}s" if wait is not None else "retry later"
        key_hint = (
            f"set {self.api_key_env}" if self.api_key_env else "give the adapter an api_key_env"
        )
        if status == 401:
            # The server's text is left out: OpenAI's echoes part of the key.
            if self.has_key:
                return ProviderError(
                    f"{who} rejected the API key (HTTP 401): {key_hint} to a valid key",
                    status=status,
                )
            return ProviderError(
                f"{who} needs an API key (HTTP 401) and none was found: {key_hint}",
                status=status,
            )
        if status == 403:
            message = (
                f"{who} refused the request (HTTP 403{quoted}): check that the key "
                f"({self.api_key_env}) may use model {self.model!r}"
            )
            return ProviderError(message, status=status)
        if status == 404:
            message = (
                f"{who} has no such model or endpoint (HTTP 404{quoted}): check the model "
                f"name {self.model!r} and base_url {self.base_url!r}"
            )
            return ProviderError(message, status=status)
        if status == 429 and server.quota_exhausted:
            message = (
                f"{who} says the account has no quota left (HTTP 429{quoted}): check its "
                "plan and billing; retrying will not help"
            )
            return ProviderError(message, status=status, fatal=True)
        if status == 429:
            message = (
                f"{who} is rate-limiting requests (HTTP 429{quoted}): {hint}, or lower "
                "the request rate or concurrency"
            )
            return RateLimited(message, retry_after=wait)
        if status >= 500 or status in _RETRYABLE_4XX:
            when = f" ({hint})" if wait is not None else ""
            message = f"{who} failed (HTTP {status}{quoted}); the call may be retried{when}"
            return ProviderError(message, status=status, retryable=True, retry_after=wait)
        message = (
            f"{who} rejected the request (HTTP {status}{quoted}): fix the request or the "
            "adapter's extra_body; retrying will not help"
        )
        return ProviderError(message, status=status)

    def for_event(self, data: bytes | str) -> LLMError:
        """The error for an ``error`` event inside a stream."""
        server = ServerError.from_body(data)
        return self.for_status(server.status, server)

    def malformed(self, what: str, error: msgspec.DecodeError | str) -> MalformedResponse:
        """``what`` (a response, a stream event) could not be used: it failed
        to decode (``error``), or decoded to something unusable (a detail).

        A body cut short is retryable (the next attempt may arrive whole); a
        body of the wrong shape is not: the server at base_url does not speak
        this protocol, and asking again will not change that.
        """
        if isinstance(error, msgspec.DecodeError) and "truncated" in str(error):
            result = MalformedResponse(
                f"{self.who} sent a truncated {what}; the call may be retried"
            )
            result.retryable = True
            return result
        return MalformedResponse(
            f"{self.who} sent a {what} this adapter cannot read ({error}): check that "
            f"base_url {self.base_url!r} serves this provider's API"
        )

    def transport(self, error: ProviderError | LLMTimeout) -> LLMError:
        """A transport's error (whose message says what to check), prefixed
        with the provider; same type."""
        if isinstance(error, ConnectFailed):
            return ConnectFailed(f"{self.who}: {error}")
        if isinstance(error, ConnectionLost):
            return ConnectionLost(f"{self.who}: {error}")
        if isinstance(error, LLMTimeout):
            return LLMTimeout(f"{self.who}: {error}")
        return ProviderError(
            f"{self.who}: {error}",
            status=error.status,
            retryable=error.retryable,
            fatal=error.fatal,
            retry_after=error.retry_after,
        )


# -- Retry-After and the providers' rate-limit reset headers ----------------------

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
# OpenAI: x-ratelimit-reset-requests / x-ratelimit-remaining-requests;
# Anthropic: anthropic-ratelimit-requests-reset / anthropic-ratelimit-requests-remaining.
_RESET_HEADER = re.compile(r"x-ratelimit-reset-(?P<a>.+)|anthropic-ratelimit-(?P<b>.+)-reset")


wall_clock = time.time
"""The wall clock absolute hints (HTTP dates, RFC 3339 times) are counted from
(a module attribute, so tests can fix it)."""


def parse_wait(value: str, now: float | None = None) -> float | None:
    """Seconds to wait from a header value: seconds (``"2"``, ``"0.5"``), a Go
    duration (``"6m0s"``, ``"20ms"``), an RFC 3339 time or an HTTP date.
    ``now`` is the wall-clock time for the absolute forms (default:
    :data:`wall_clock`)."""
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    parts = _DURATION.findall(value)
    if parts and "".join(number + unit for number, unit in parts) == value:
        return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    moment: datetime | None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            moment = None
    if moment is None or moment.tzinfo is None:
        return None
    if now is None:
        now = wall_clock()
    return max(0.0, moment.timestamp() - now)


def retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The provider's hint, in seconds, for when to retry a rate-limited call.

    ``retry-after-ms`` or ``retry-after`` when present; else the reset time of
    the exhausted limit (``remaining`` 0) among the provider's rate-limit
    headers, the longest if several are exhausted, the shortest if none says so.
    """
    if (value := headers.get("retry-after-ms")) is not None:
        wait = parse_wait(value, now)
        if wait is not None:
            return wait / 1000.0
    if (value := headers.get("retry-after")) is not None:
        wait = parse_wait(value, now)
        if wait is not None:
            return wait
    resets: list[float] = []
    exhausted: list[float] = []
    for name, value in headers.items():
        match = _RESET_HEADER.fullmatch(name)
        if match is None or (wait := parse_wait(value, now)) is None:
            continue
        resets.append(wait)
        if match["a"] is not None:
            remaining = headers.get(f"x-ratelimit-remaining-{match['a']}")
        else:
            remaining = headers.get(f"anthropic-ratelimit-{match['b']}-remaining")
        if remaining is not None and remaining.strip() == "0":
            exhausted.append(wait)
    if exhausted:
        return max(exhausted)
    return min(resets) if resets else None
