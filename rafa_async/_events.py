"""Typed events, their wire format, and the sinks that receive them.

Every event is a msgspec ``Struct`` tagged by its class name, so one decoder
reads a whole mixed log back (``decode_event``).  An :class:`EventRecorder`
stamps each event with a monotonically increasing ``seq`` and a timestamp from
the running event loop's clock (virtual under trio's ``MockClock``) before it
hands it to its sink.  ``seq`` and the payload are deterministic for a given
seed; ``ts`` is not part of :func:`log_digest`, because asyncio's clock is real.
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Literal, Protocol, TypeVar

import anyio
import msgspec
import structlog


class Event(msgspec.Struct, tag=True, kw_only=True):
    """Base of all events.  ``seq``/``ts`` are set by the recorder."""

    seq: int = -1
    ts: float = 0.0


class EpisodeStarted(Event):
    episode: str
    scenario: str
    agent: str
    task: str


class EpisodeEnded(Event):
    episode: str
    solved: bool
    reward: float
    env_steps: int
    llm_calls: int
    answer: str | None = None
    error: str | None = None
    """Why the episode failed with a provider error (its result's ``error``)."""


class Transition(Event):
    """The environment applied ``action``; ``accepted`` is False when it was rejected."""

    episode: str
    step: int
    action: str
    accepted: bool
    feedback: str
    reward: float
    done: bool
    state: str


class PlanStarted(Event):
    episode: str
    plan: int
    state: str


class PlanCandidate(msgspec.Struct, kw_only=True):
    """A trajectory a plan weighed: its actions and value (see ``PlanCompleted``)."""

    actions: list[str]
    value: float


class PlanCompleted(Event):
    """A plan: the chosen ``actions`` and their ``value``, and ``candidates``,
    the trajectories the search weighed at its last level, best first (a
    log written before they were recorded decodes with none)."""

    episode: str
    plan: int
    actions: list[str]
    value: float
    complete: bool
    llm_calls: int
    elapsed: float
    candidates: list[PlanCandidate] = []


class PlanCancelled(Event):
    episode: str
    plan: int
    reason: str


class MatchStarted(Event):
    """First event of a match log: enough to re-run it (game, seats, seed, clock)."""

    match: str
    game: str
    players: dict[str, str]
    seed: int
    clock: str
    options: dict[str, str] = {}


class TurnStarted(Event):
    """``players`` must act by ``deadline`` (host clock; None: no deadline)."""

    match: str
    turn: int
    players: list[str]
    deadline: float | None
    state: str


class ActionRejected(Event):
    """A submission the host refused (illegal, not your turn, too late)."""

    match: str
    turn: int
    player: str
    action: str
    reason: str


class MatchTransition(Event):
    """The host applied one action per mover.  ``late`` players got a fallback."""

    match: str
    turn: int
    actions: dict[str, str]
    rewards: dict[str, float]
    feedback: dict[str, str]
    late: list[str]
    done: bool
    state: str


class MatchEnded(Event):
    match: str
    turns: int
    scores: dict[str, float]
    late: dict[str, int]
    reason: str


CallOutcome = Literal["ok", "error", "cancelled"]


class LLMCallStarted(Event):
    call: int
    episode: str
    intent: str


class LLMCallEnded(Event):
    call: int
    episode: str
    intent: str
    outcome: CallOutcome
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latency: float = 0.0
    ttft: float | None = None
    """Time to first token of a streamed call (None: not streamed)."""


AnyEvent = (
    MatchStarted
    | TurnStarted
    | ActionRejected
    | MatchTransition
    | MatchEnded
    | EpisodeStarted
    | EpisodeEnded
    | Transition
    | PlanStarted
    | PlanCompleted
    | PlanCancelled
    | LLMCallStarted
    | LLMCallEnded
)

_encoder = msgspec.json.Encoder()
_decoder: msgspec.json.Decoder[AnyEvent] = msgspec.json.Decoder(AnyEvent)
_msgpack_encoder = msgspec.msgpack.Encoder()
_msgpack_decoder: msgspec.msgpack.Decoder[AnyEvent] = msgspec.msgpack.Decoder(AnyEvent)


def encode_event(event: Event) -> bytes:
    """JSON bytes of ``event`` (with its ``type`` tag)."""
    return _encoder.encode(event)


def decode_event(data: bytes | str) -> AnyEvent:
    """Inverse of :func:`encode_event`.

    Raises ``msgspec.DecodeError`` if ``data`` is not JSON, and its subclass
    ``msgspec.ValidationError`` if it is JSON but not an event.
    """
    return _decoder.decode(data)


# Fields that measure or read the clock (durations, and a turn's absolute
# deadline); asyncio's clock is real, so they are left out of a log's digest.
_TIMING_FIELDS = frozenset({"ts", "latency", "elapsed", "ttft", "deadline"})


def log_digest(events: Iterable[Event]) -> str:
    """SHA-256 over the events without their timing fields: equal logs, equal digests."""
    digest = hashlib.sha256()
    for event in events:
        timing = {f: 0.0 for f in event.__struct_fields__ if f in _TIMING_FIELDS}
        digest.update(_encoder.encode(msgspec.structs.replace(event, **timing)))
        digest.update(b"\n")
    return digest.hexdigest()


_E = TypeVar("_E", bound=Event)


class EventSink(Protocol):
    """Receives stamped events.  ``emit`` never blocks and never awaits."""

    def emit(self, event: Event) -> None: ...


class NullSink:
    def emit(self, event: Event) -> None:
        pass


class ListSink:
    """Keeps every event in memory (tests, small runs)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def of_type(self, kind: type[_E]) -> list[_E]:
        return [e for e in self.events if isinstance(e, kind)]


class _FileSink:
    """A sink writing to ``target``: a path (created or emptied), or an open
    binary stream, e.g. a file opened for appending, or stdout (flushed, not
    closed, on ``close``).  Writes are buffered; ``close`` flushes them."""

    def __init__(self, target: str | os.PathLike[str] | IO[bytes]) -> None:
        self._owned = isinstance(target, str | os.PathLike)
        self._file: IO[bytes] = (
            open(target, "wb")  # noqa: SIM115 (closed by close())
            if isinstance(target, str | os.PathLike)
            else target
        )

    def close(self) -> None:
        if self._owned:
            self._file.close()
        else:
            self._file.flush()


class JsonlSink(_FileSink):
    """Appends one JSON line per event to a file or stream."""

    def emit(self, event: Event) -> None:
        self._file.write(_encoder.encode(event) + b"\n")


class MsgpackSink(_FileSink):
    """Appends events to a file or stream as msgpack, each frame prefixed by
    its 4-byte big-endian length: about half the size of JSONL and faster to
    write."""

    def emit(self, event: Event) -> None:
        frame = _msgpack_encoder.encode(event)
        self._file.write(len(frame).to_bytes(4, "big") + frame)


def open_sink(path: str | os.PathLike[str]) -> JsonlSink | MsgpackSink:
    """A file sink for ``path``: msgpack frames for ``*.msgpack``, else JSON lines."""
    return MsgpackSink(path) if _is_msgpack(path) else JsonlSink(path)


def _is_msgpack(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix == ".msgpack"


class FanoutSink:
    def __init__(self, *sinks: EventSink) -> None:
        self._sinks = sinks

    def emit(self, event: Event) -> None:
        for sink in self._sinks:
            sink.emit(event)


class EventRecorder:
    """Stamps events with ``seq`` and ``ts`` and forwards them to a sink.

    Stamping happens in the emitting task, synchronously, so ``seq`` follows the
    order in which tasks emitted; under a deterministic scheduler and seeded
    LLM that order is itself deterministic.
    """

    def __init__(self, sink: EventSink | None = None) -> None:
        self.sink: EventSink = sink if sink is not None else NullSink()
        self.enabled = not isinstance(self.sink, NullSink)
        """False when events go nowhere: hot paths may skip building them."""
        self._seq = itertools.count()

    def emit(self, event: Event) -> None:
        event.seq = next(self._seq)
        try:
            event.ts = anyio.current_time()
        except RuntimeError:  # no event loop: e.g. emitted from a sync test
            event.ts = 0.0
        self.sink.emit(event)


def whole_length(path: str | os.PathLike[str]) -> int:
    """How many leading bytes of ``path`` hold whole lines (whole frames for
    ``*.msgpack``): the rest is a torn last one, left by a crash mid-write."""
    data = Path(path).read_bytes()
    if not _is_msgpack(path):
        return data.rfind(b"\n") + 1
    end = 0
    while end + 4 <= len(data):
        frame_end = end + 4 + int.from_bytes(data[end : end + 4], "big")
        if frame_end > len(data):
            break
        end = frame_end
    return end


def cut_torn_tail(path: Path) -> None:
    """Move a torn last line (or msgpack frame) of ``path`` to ``PATH.torn``."""
    if not path.is_file():
        return
    keep = whole_length(path)
    with path.open("r+b") as file:
        file.seek(keep)
        tail = file.read()
        if not tail:
            return
        torn = path.with_name(path.name + ".torn")
        with torn.open("ab") as aside:
            aside.write(tail)
        file.truncate(keep)
    structlog.get_logger("rafa_async").warning(
        "torn_tail_moved", file=str(path), bytes=len(tail), to=str(torn)
    )


def read_events(path: str | os.PathLike[str], *, tolerate_cut: bool = False) -> Iterator[AnyEvent]:
    """Events from a file written by :class:`JsonlSink` or (``*.msgpack``)
    :class:`MsgpackSink`.  Raises ``msgspec.DecodeError`` on a damaged file.

    ``tolerate_cut``: a writer killed mid-event leaves the file ending in part
    of one (a last JSON line without its newline, a short last msgpack frame);
    stop there instead of raising.  Damage anywhere else still raises.
    """
    with open(path, "rb") as f:
        if _is_msgpack(path):
            while header := f.read(4):
                size = int.from_bytes(header, "big")
                frame = f.read(size)
                if len(header) < 4 or len(frame) < size:
                    if tolerate_cut:
                        return
                    raise msgspec.DecodeError(f"{path}: truncated msgpack frame")
                yield _msgpack_decoder.decode(frame)
            return
        for line in f:
            if not line.strip():
                continue
            if tolerate_cut and not line.endswith(b"\n"):
                try:
                    event = decode_event(line)
                except msgspec.DecodeError:
                    return  # the last line, cut mid-event
                yield event
            else:
                yield decode_event(line)
