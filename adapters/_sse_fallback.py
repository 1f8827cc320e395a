"""A minimal incremental server-sent-events decoder, private to the HTTP adapters.

MERGE: stands in for the shared ``rafa_async.llm._sse.SSEDecoder`` (same
``feed(bytes) -> list[event]`` shape); when that lands, import it in
``adapters/_http_chat.py`` instead and delete this module.

It follows the WHATWG event-stream rules the providers rely on: lines end in
LF, CRLF or a lone CR (a CRLF split across two chunks is one line end);
``data:`` lines accumulate and a blank line dispatches the event; ``event:``
names it (default ``message``); lines starting with ``:`` are comments
(keep-alives); other fields (``id``, ``retry``) are ignored.  An event left
without its closing blank line when the body ends is discarded, as the spec
says, so a cut stream is never mistaken for a complete one.
"""

from __future__ import annotations

from typing import NamedTuple


class SSEEvent(NamedTuple):
    event: str
    data: bytes


class SSEDecoder:
    """Feed it the body's chunks in order; it returns each complete event once."""

    __slots__ = ("_after_cr", "_buffer", "_data", "_event")

    def __init__(self) -> None:
        self._buffer = b""
        self._after_cr = False
        self._event = ""
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if not chunk:
            return []
        if self._after_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]  # the LF of a CRLF split across chunks
        self._after_cr = chunk.endswith(b"\r")
        lines = (self._buffer + chunk).splitlines(keepends=True)
        self._buffer = lines.pop() if lines and not lines[-1].endswith((b"\n", b"\r")) else b""
        events: list[SSEEvent] = []
        for line in lines:
            self._line(line.rstrip(b"\r\n"), events)
        return events

    def _line(self, line: bytes, events: list[SSEEvent]) -> None:
        if not line:
            if self._data:
                events.append(SSEEvent(self._event or "message", b"\n".join(self._data)))
            self._event = ""
            self._data = []
            return
        if line.startswith(b":"):
            return
        field, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if field == b"data":
            self._data.append(value)
        elif field == b"event":
            self._event = value.decode("utf-8", "replace")
