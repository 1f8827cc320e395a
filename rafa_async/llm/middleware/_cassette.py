"""Record every LLM call of a run to a cassette; replay the run from it offline.

A cassette is JSON lines: a header (format, version, provider identity,
metadata), then one :class:`CassetteEntry` per call, written and flushed as the
call ends.  Only the :class:`ChatRequest` and its response or typed error are
stored -- never HTTP headers, so never an API key.

A recording interrupted mid-write (Ctrl-C, a crash, a full disk) leaves a last
line cut short: it is reported (a warning, and :attr:`Replayer.cut`) and the
complete lines before it replay as usual.
"""

from __future__ import annotations

import datetime
import difflib
import os
import re
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Literal

import anyio
import anyio.lowlevel
import msgspec
import structlog

from rafa_async._context import note_cached_call
from rafa_async._errors import (
    CassetteMismatch,
    ConfigError,
    ConnectFailed,
    ConnectionLost,
    LLMError,
    LLMTimeout,
    MalformedResponse,
    ProviderError,
    RateLimited,
)
from rafa_async.llm._keys import answering_llm, provider_identity, request_key
from rafa_async.llm._types import LLM, ChatRequest, ChatResponse

FORMAT = "rafa-cassette"
VERSION = 1

_log = structlog.get_logger(__name__)

Outcome = Literal["ok", "error", "cancelled"]
ReplayLatency = Literal["none", "recorded"]


class CassetteHeader(msgspec.Struct, frozen=True, kw_only=True):
    format: str = FORMAT
    version: int = VERSION
    provider: str = ""
    created: str = ""
    meta: dict[str, str] = msgspec.field(default_factory=dict)


class RecordedError(msgspec.Struct, frozen=True, kw_only=True):
    """A typed :class:`~rafa_async.LLMError`, enough to raise it again."""

    type: str
    message: str
    retryable: bool = False
    status: int | None = None
    retry_after: float | None = None
    text: str = ""
    fatal: bool | None = None
    """Whether no later call could succeed either (``LLMError.fatal``);
    ``None`` in cassettes written before it was recorded."""


class CassetteCut(msgspec.Struct, frozen=True, kw_only=True):
    """Where a cassette ends early: its recording was interrupted while
    writing line ``line`` (1-based), after ``complete`` whole calls.  ``key``
    is the cut call's request key, when that much of it was written."""

    line: int
    complete: int
    key: str | None = None


class CassetteEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One call: its request, how it ended, and how long it took (seconds on
    the run's clock, from the recorder's place in the stack)."""

    key: str
    request: ChatRequest
    outcome: Outcome
    response: ChatResponse | None = None
    error: RecordedError | None = None
    seconds: float = 0.0


_REBUILD: dict[type[LLMError], Callable[[RecordedError], LLMError]] = {
    RateLimited: lambda e: RateLimited(e.message, retry_after=e.retry_after),
    ConnectFailed: lambda e: ConnectFailed(e.message),
    ConnectionLost: lambda e: ConnectionLost(e.message),
    ProviderError: lambda e: ProviderError(
        e.message, status=e.status, retryable=e.retryable, retry_after=e.retry_after
    ),
    LLMTimeout: lambda e: LLMTimeout(e.message),
    MalformedResponse: lambda e: MalformedResponse(e.message, text=e.text),
    LLMError: lambda e: LLMError(e.message),
}
_BY_NAME = {cls.__name__: cls for cls in _REBUILD}


def record_error(error: LLMError) -> RecordedError:
    """``error`` as data, typed as its nearest class this module can rebuild
    (an adapter's own subclass of ProviderError replays as ProviderError)."""
    cls = next(c for c in type(error).__mro__ if c in _REBUILD)
    return RecordedError(
        type=cls.__name__,
        message=str(error),
        retryable=error.retryable,
        status=getattr(error, "status", None),
        retry_after=getattr(error, "retry_after", None),
        text=getattr(error, "text", ""),
        fatal=error.fatal,
    )


def rebuild_error(recorded: RecordedError) -> LLMError:
    cls = _BY_NAME.get(recorded.type, LLMError)
    error = _REBUILD[cls](recorded)
    error.retryable = recorded.retryable
    if recorded.fatal is not None:
        error.fatal = recorded.fatal
    return error


def cassette_key(request: ChatRequest) -> str:
    """Replay matches on the request alone: a cassette may be replayed without
    the provider it was recorded from."""
    return request_key(request)


class Recorder:
    """Passes calls to ``inner`` and appends each one to the cassette ``path``.

    Every call is written when it ends -- completed, failed with an
    :class:`~rafa_async.LLMError` (kept typed), or cancelled (kept for the
    record; replay ignores it) -- and the line is flushed, so a run killed
    midway leaves a readable cassette of every call that finished.  Lines are
    in completion order; replay does not depend on it.  Exceptions that are
    not LLM errors (bugs, configuration errors) are not part of the provider's
    behaviour and are not recorded.  An existing file is refused unless
    ``overwrite``.  Close it when the run ends.
    """

    def __init__(
        self,
        inner: LLM,
        path: str | os.PathLike[str],
        *,
        provider: str | None = None,
        meta: Mapping[str, str] | None = None,
        overwrite: bool = False,
    ) -> None:
        self._inner = inner
        self.path = Path(path)
        self.recorded = 0
        header = CassetteHeader(
            provider=provider if provider is not None else provider_identity(inner),
            created=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            meta=dict(meta or {}),
        )
        try:
            self._file: IO[bytes] = open(self.path, "wb" if overwrite else "xb")  # noqa: SIM115
        except FileExistsError:
            raise ConfigError(
                f"cassette {self.path} already exists: choose another path, or delete it to "
                "record again"
            ) from None
        except OSError as error:
            raise ConfigError(f"cannot write cassette {self.path}: {error}") from error
        self._encoder = msgspec.json.Encoder()
        self._write(header)

    def _write(self, line: CassetteHeader | CassetteEntry) -> None:
        self._file.write(self._encoder.encode(line) + b"\n")
        self._file.flush()

    async def complete(self, request: ChatRequest) -> ChatResponse:
        started = anyio.current_time()

        def entry(outcome: Outcome, **fields: object) -> CassetteEntry:
            return CassetteEntry(
                key=cassette_key(request),
                request=request,
                outcome=outcome,
                seconds=anyio.current_time() - started,
                **fields,  # type: ignore[arg-type]
            )

        try:
            response = await self._inner.complete(request)
        except anyio.get_cancelled_exc_class():
            self._write(entry("cancelled"))
            raise
        except LLMError as error:
            self._write(entry("error", error=record_error(error)))
            self.recorded += 1
            raise
        self._write(entry("ok", response=response))
        self.recorded += 1
        return response

    def close(self) -> None:
        self._file.close()


def read_cassette(path: str | os.PathLike[str]) -> tuple[CassetteHeader, list[CassetteEntry]]:
    """The header and entries of a cassette; a clear error naming the file and
    line for anything else.  A last line cut short is left out, with a
    warning (see :func:`read_cassette_cut`)."""
    header, entries, _ = read_cassette_cut(path)
    return header, entries


_CUT_KEY = re.compile(rb'^\{"key":"([0-9a-f]+)"')


def read_cassette_cut(
    path: str | os.PathLike[str],
) -> tuple[CassetteHeader, list[CassetteEntry], CassetteCut | None]:
    """:func:`read_cassette`, and where the cassette was cut off (``None``:
    it is whole).

    Lines are written whole, each ending with a newline, so only the last line
    can be cut (the recording was interrupted mid-write): a last line without
    its newline that does not decode is the cut, logged as a warning
    (``cassette_cut_short``).  Any other line that does not decode is an error.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read cassette {file}: {error}") from error
    *lines, tail = data.split(b"\n")  # ``tail``: after the last newline (b"" if whole)
    if not lines and not tail:
        raise ConfigError(f"cassette {file} is empty: it has no header line")
    if not lines:
        raise ConfigError(
            f"cassette {file} was cut off in its header line (its recording was "
            "interrupted at once): it holds no calls; record it again"
        )
    try:
        header = msgspec.json.decode(lines[0], type=CassetteHeader)
    except msgspec.DecodeError as error:
        raise ConfigError(f"cassette {file} line 1 is not a cassette header: {error}") from error
    if header.format != FORMAT or header.version != VERSION:
        raise ConfigError(
            f"cassette {file} is {header.format!r} version {header.version}; this version "
            f"replays {FORMAT!r} version {VERSION}: record it again"
        )
    decoder = msgspec.json.Decoder(CassetteEntry)
    entries = []
    for number, line in enumerate(lines[1:], start=2):
        try:
            entries.append(decoder.decode(line))
        except msgspec.DecodeError as error:
            raise ConfigError(f"cassette {file} line {number}: {error}") from error
    if not tail.strip():
        return header, entries, None
    try:
        entries.append(decoder.decode(tail))  # whole, only its newline is missing
    except msgspec.DecodeError:
        pass
    else:
        return header, entries, None
    key = _CUT_KEY.match(tail)
    cut = CassetteCut(
        line=len(lines) + 1, complete=len(entries), key=key[1].decode() if key else None
    )
    _log.warning(
        "cassette_cut_short",
        cassette=str(file),
        line=cut.line,
        complete_calls=cut.complete,
        hint="the recording was interrupted; the complete calls before the cut replay, "
        "a call after it cannot",
    )
    return header, entries, cut


class Replayer:
    """An LLM that answers from a cassette: no provider, no network.

    A request is matched by its canonical key (every field of the request):
    the same request recorded *k* times is answered *k* times, in recorded
    order -- so concurrent calls may arrive in any order and still get the
    answers they got when recorded.  Recorded errors are raised again, typed.
    Cancelled recorded calls are skipped.  With ``latency="recorded"`` each
    answer takes as long as it took when recorded (on the current clock), for
    runs whose outcome depends on timing; a call cancelled during that wait
    puts its answer back.

    A request the cassette cannot answer raises :class:`CassetteMismatch`
    (a :class:`~rafa_async.ConfigError`, so planners that tolerate failed LLM
    calls do not absorb it) naming the request and why: never recorded (and
    the nearest recorded request), recorded fewer times, recorded only as
    cancelled, or lost in the cut of a cassette cut short (``cut``).

    ``expect``: the identity of the provider this replay stands in for (see
    :func:`~rafa_async.llm.provider_identity`); a cassette recorded
    from another LLM (another provider or model; for the sim another seed or
    noise) is refused at once, naming both, rather than crediting its answers
    to the wrong model.  The server it was served from may differ.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        latency: ReplayLatency = "none",
        expect: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.latency = latency
        self.header, entries, self.cut = read_cassette_cut(self.path)
        """Where the cassette was cut off (``None``: it is whole)."""
        if expect is not None:
            self._check_llm(expect)
        self._queues: dict[str, deque[tuple[int, CassetteEntry]]] = {}
        self._requests: dict[str, ChatRequest] = {}
        self._cancelled: dict[str, int] = {}
        for index, entry in enumerate(entries):
            self._requests.setdefault(entry.key, entry.request)
            if entry.outcome == "cancelled":
                self._cancelled[entry.key] = self._cancelled.get(entry.key, 0) + 1
            else:
                self._queues.setdefault(entry.key, deque()).append((index, entry))
        self._answered: dict[str, int] = {}
        self.calls = 0
        self.replayed = 0

    def _check_llm(self, expect: str) -> None:
        recorded, replaying = answering_llm(self.header.provider), answering_llm(expect)
        if self.header.provider and recorded != replaying:
            raise CassetteMismatch(
                f"cassette {self.path} was recorded from {recorded}, but this run replays it "
                f"as {replaying}: its answers would be credited to the wrong model; replay "
                "with the provider and model it was recorded with (for the sim: the same "
                "seed), or record a new cassette"
            )

    @property
    def provider(self) -> str:
        """The identity of the provider the cassette was recorded from."""
        return self.header.provider

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.calls += 1
        key = cassette_key(request)
        queue = self._queues.get(key)
        if not queue:
            raise self._mismatch(request, key)
        index, entry = queue.popleft()
        try:
            if self.latency == "recorded" and entry.seconds > 0:
                await anyio.sleep(entry.seconds)
            else:
                await anyio.lowlevel.checkpoint()
        except anyio.get_cancelled_exc_class():
            at = next((i for i, (later, _) in enumerate(queue) if later > index), len(queue))
            queue.insert(at, (index, entry))
            raise
        self._answered[key] = self._answered.get(key, 0) + 1
        self.replayed += 1
        note_cached_call()
        if entry.error is not None:
            raise rebuild_error(entry.error)
        if entry.response is None:
            raise ConfigError(f"cassette {self.path}: an 'ok' entry without a response")
        return entry.response

    def close(self) -> None:
        """Nothing to release (the cassette is read at construction)."""

    def _mismatch(self, request: ChatRequest, key: str) -> CassetteMismatch:
        answered = self._answered.get(key, 0)
        cancelled = self._cancelled.get(key, 0)
        cut = self.cut
        in_the_cut = cut is not None and cut.key == key and not answered
        if cut is not None and in_the_cut:
            why = f"it is the call the cassette was cut short in, at line {cut.line}"
        elif answered:
            why = f"it was recorded {answered} time(s) and this run asks for it once more"
        elif cancelled:
            why = f"it was recorded only as cancelled ({cancelled} time(s))"
        else:
            why = "it was never recorded"
        why += f" (call #{self.calls} of this replay)"
        if cancelled:
            why += (
                "; a call the recorded run cancelled before it ended (a stale plan, a move "
                "deadline, the run stopping) holds no answer, and this replay, timed "
                "differently, asks for it to the end"
            )
        if cut is not None:
            why += (
                f"; the cassette was cut short at line {cut.line} after {cut.complete} complete "
                "calls (its recording was interrupted), so the calls after the cut are missing"
            )
        lines = [f"cassette {self.path} cannot answer a request: {why}", *_describe(request)]
        unknown = key not in self._requests and not in_the_cut
        nearest = self._nearest(request) if unknown else None
        if nearest is not None:
            lines.append(f"  nearest recorded request differs in {_difference(nearest, request)}")
        lines.append(
            "Record the cassette again (prompts or settings changed since it was made, or its "
            "recording was cut short), or replay with the configuration it was recorded with."
        )
        return CassetteMismatch("\n".join(lines))

    def _nearest(self, request: ChatRequest) -> ChatRequest | None:
        """The recorded request most like ``request``: among those asking the
        same question (intent kind, scenario, state), else of the same label,
        the one with the most equal settings, then the closest last message."""
        recorded = list(self._requests.values())
        intent = request.intent

        def same_question(other: ChatRequest) -> bool:
            return (
                intent is not None
                and other.intent is not None
                and (other.intent.kind, other.intent.scenario, other.intent.state)
                == (intent.kind, intent.scenario, intent.state)
            )

        candidates = [r for r in recorded if same_question(r)] or [
            r for r in recorded if r.label == request.label
        ]
        if not candidates:
            return None
        text = _last_user_text(request)
        matcher = difflib.SequenceMatcher(autojunk=False)
        matcher.set_seq2(text)

        def likeness(other: ChatRequest) -> tuple[int, float]:
            matcher.set_seq1(_last_user_text(other))
            same = (other.intent == intent) + sum(
                getattr(other, name) == getattr(request, name)
                for name in ("model", "temperature", "max_tokens")
            )
            return same, matcher.quick_ratio()

        return max(candidates[:500], key=likeness)


def _last_user_text(request: ChatRequest) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            return message.content
    return request.messages[-1].content if request.messages else ""


def _describe(request: ChatRequest) -> list[str]:
    intent = request.intent
    if intent is None:
        what = "  intent: none (label 'chat')"
    else:
        what = (
            f"  intent: {intent.kind} {intent.scenario} state={intent.state!r} "
            f"sample={intent.sample}"
        )
    text = _last_user_text(request)
    shown = text[:200] + ("..." if len(text) > 200 else "")
    return [what, f"  model={request.model!r}; last user message: {shown!r}"]


def _difference(recorded: ChatRequest, now: ChatRequest) -> str:
    """Where two requests first differ, with a little context."""
    for name in ("model", "temperature", "max_tokens"):
        if getattr(recorded, name) != getattr(now, name):
            return f"{name}: recorded {getattr(recorded, name)!r}, now {getattr(now, name)!r}"
    if recorded.intent != now.intent:
        if recorded.intent is None or now.intent is None:
            return f"intent: recorded {recorded.intent!r}, now {now.intent!r}"
        for name in recorded.intent.__struct_fields__:
            was, is_ = getattr(recorded.intent, name), getattr(now.intent, name)
            if was != is_:
                return f"intent.{name}: recorded {was!r}, now {is_!r}"
    if len(recorded.messages) != len(now.messages):
        return f"message count: recorded {len(recorded.messages)}, now {len(now.messages)}"
    for i, (was, is_) in enumerate(zip(recorded.messages, now.messages, strict=True)):
        if was.role != is_.role:
            return f"messages[{i}].role: recorded {was.role!r}, now {is_.role!r}"
        if was.content != is_.content:
            at = next(
                (
                    j
                    for j, (a, b) in enumerate(zip(was.content, is_.content, strict=False))
                    if a != b
                ),
                min(len(was.content), len(is_.content)),
            )
            lo = max(0, at - 30)
            return (
                f"messages[{i}].content at character {at}: recorded "
                f"{was.content[lo : at + 30]!r}, now {is_.content[lo : at + 30]!r}"
            )
    return "nothing visible (the cassette was made with another key version)"
