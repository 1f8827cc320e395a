"""Server-sent events: an incremental decoder every transport and adapter shares.

Follows the WHATWG "event stream interpretation": lines end in CRLF, LF or CR;
a blank line dispatches the event being built; ``:`` starts a comment; a line
without a colon is a field with an empty value; one leading space of a value
is dropped; ``data`` lines are joined with ``\\n``; a block whose data buffer
is empty dispatches nothing; ``id`` persists across events; one UTF-8 BOM at
the very start is skipped; an event still incomplete when the stream ends is
discarded.

It works on bytes and splits on line endings with ``bytes.splitlines`` (which
splits on exactly CR, LF and CRLF, in C), so a UTF-8 character cut by a chunk
boundary is never decoded half-way: line endings are ASCII, and text is
decoded only once its line is complete.  A partial line waits in a list of
pieces, so a long line arriving in many small chunks is joined once.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator

import msgspec

_BOM = b"\xef\xbb\xbf"


class SSEEvent(msgspec.Struct, frozen=True, gc=False):
    """One dispatched event.  ``id`` is the last event id seen so far in the
    stream (the spec's "last event ID"); ``retry`` is the reconnection time in
    milliseconds if this event's block set one."""

    data: str
    event: str = "message"
    id: str = ""
    retry: int | None = None

    def encode(self) -> bytes:
        """This event on the wire (for servers and fakes): ``data`` split into
        one ``data:`` line per line, the default fields left out."""
        lines = []
        if self.event != "message":
            lines.append(f"event: {self.event}")
        if self.id:
            lines.append(f"id: {self.id}")
        if self.retry is not None:
            lines.append(f"retry: {self.retry}")
        lines.extend(f"data: {line}" for line in self.data.split("\n"))
        return ("\n".join(lines) + "\n\n").encode()


class SSEDecoder:
    """Feed it the body's chunks as they arrive; it returns complete events.

    Not thread-safe; one decoder per stream.  ``feed`` never blocks and costs
    one ``splitlines`` per chunk plus a few operations per line.
    """

    __slots__ = (
        "_data",
        "_event",
        "_last_id",
        "_retry",
        "_skip_lf",
        "_started",
        "_tail",
    )

    def __init__(self) -> None:
        self._tail: list[bytes] = []
        self._started = False
        self._skip_lf = False
        self._data: list[bytes] = []
        self._event = b""
        self._last_id = ""
        self._retry: int | None = None

    @property
    def last_event_id(self) -> str:
        return self._last_id

    @property
    def pending(self) -> bool:
        """Whether a partial line or an undispatched event is buffered: true
        after the last chunk means the stream ended mid-event."""
        return bool(self._tail or self._data or self._event or self._retry is not None)

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not chunk:
            return []
        if self._skip_lf:
            # The last chunk ended in CR, maybe the first half of a CRLF.
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if not self._started:
            chunk = b"".join(self._tail) + chunk
            self._tail = []
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                self._tail.append(chunk)
                return []
            self._started = True
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
        if not chunk:
            return []
        if b"\n" not in chunk and b"\r" not in chunk:
            self._tail.append(chunk)
            return []
        if self._tail:
            self._tail.append(chunk)
            chunk = b"".join(self._tail)
            self._tail = []
        lines = chunk.splitlines()
        last = chunk[-1]
        if last == 13:
            self._skip_lf = True
        elif last != 10:
            self._tail.append(lines.pop())
        return self._lines(lines)

    def _lines(self, lines: list[bytes]) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        data = self._data
        for line in lines:
            if not line:
                if data:
                    events.append(self._dispatch())
                    data = self._data
                else:
                    self._event = b""
                    self._retry = None
                continue
            if line[0] == 58:  # ":" starts a comment
                continue
            name, _, value = line.partition(b":")
            if value[:1] == b" ":
                value = value[1:]
            if name == b"data":
                data.append(value)
            elif name == b"event":
                self._event = value
            elif name == b"id":
                if b"\0" not in value:
                    self._last_id = value.decode("utf-8", "replace")
            elif name == b"retry" and value.isdigit():
                self._retry = int(value)
        return events

    def _dispatch(self) -> SSEEvent:
        data = b"\n".join(self._data).decode("utf-8", "replace")
        event = self._event.decode("utf-8", "replace") if self._event else "message"
        result = SSEEvent(data, event, self._last_id, self._retry)
        self._data = []
        self._event = b""
        self._retry = None
        return result

    def close(self) -> None:
        """End of stream: per the spec, an incomplete event is discarded (a
        final line without its line ending, or fields without the blank line
        that dispatches them).  Check :attr:`pending` first to tell a stream
        cut mid-event."""
        self._tail = []
        self._data = []
        self._event = b""
        self._retry = None
        self._skip_lf = False
        self._started = False


async def aiter_sse(chunks: AsyncIterable[bytes]) -> AsyncIterator[SSEEvent]:
    """The events of a byte stream (e.g. ``HttpStream.iter_bytes()``).

    Holds no resource across a ``yield``; cancelling the consumer leaves
    nothing behind but the source iterator, which its owner closes.
    """
    decoder = SSEDecoder()
    async for chunk in chunks:
        for event in decoder.feed(chunk):
            yield event
    decoder.close()
