"""An opt-in response cache: SQLite (stdlib, WAL), keyed by the canonical request.

SQLite is called directly on the event loop: measured here a lookup costs
~4 us and an insert with its commit ~20-27 us, while a hop through
``anyio.to_thread`` costs 60-180 us.  Only when another process holds the
write lock (SQLITE_BUSY) does an operation move to a worker thread, on a
second connection that may wait for the lock -- so the loop never sleeps in
SQLite's busy handler, and two processes can share one file.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

import anyio
import anyio.to_thread
import msgspec
import structlog

from rafa_async._context import note_cached_call
from rafa_async._errors import ConfigError
from rafa_async.llm._keys import provider_identity, request_key
from rafa_async.llm._types import LLM, ChatRequest, ChatResponse

FORMAT = "rafa-response-cache/1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY, response BLOB NOT NULL, created REAL NOT NULL
);
"""
_GET = "SELECT response FROM responses WHERE key = ?"
_PUT = "INSERT OR REPLACE INTO responses (key, response, created) VALUES (?, ?, ?)"

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(ChatResponse).decode
_log = structlog.get_logger(__name__)

T = TypeVar("T")


class _Flight:
    """One upstream call that identical concurrent misses wait for."""

    __slots__ = ("done", "response")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.response: ChatResponse | None = None


def _busy(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class Cache:
    """Answers a request it has seen before from ``path`` (or ``":memory:"``)
    without calling ``inner``.

    The key is :func:`request_key` of the request and of ``identity`` (by
    default the provider's ``identity``, see :func:`provider_identity`), so a
    different model, provider or sim seed is a different key.  Only successful
    responses are stored.  Note what a hit means for sampling: an identical
    request (same prompt, temperature, and ``Intent.sample``) gets the
    identical answer; RAFA's independent samples differ in ``Intent.sample``,
    so they stay distinct.

    Concurrent identical misses are coalesced: one upstream call, the others
    wait for it (``coalesced``).  If that call fails or is cancelled, each
    waiter calls upstream itself -- a failure is never shared.  Waiting is
    cancellable.  One instance may serve every task of a process; a file may
    be shared by several processes.

    A file that is not a readable cache raises :class:`~rafa_async.ConfigError`
    naming it, when the cache is opened or when a damaged entry is read.
    """

    def __init__(self, inner: LLM, path: str | os.PathLike[str], *, identity: str | None = None):
        self._inner = inner
        self.path = os.fspath(path)
        self.identity = identity if identity is not None else provider_identity(inner)
        self.hits = 0
        self.misses = 0
        self.coalesced = 0
        self._flights: dict[str, _Flight] = {}
        self._db = self._open()
        self._slow: sqlite3.Connection | None = None
        self._slow_lock = anyio.Lock()

    def _connect(self, busy_timeout_ms: int) -> sqlite3.Connection:
        try:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        except sqlite3.OperationalError as error:
            raise ConfigError(
                f"cannot open the response cache {self.path} ({error}): check that its "
                "folder exists and is writable"
            ) from error
        try:
            db.execute(f"PRAGMA busy_timeout = {busy_timeout_ms}")
            if self.path != ":memory:":
                db.execute("PRAGMA journal_mode = WAL")
                db.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.DatabaseError as error:
            db.close()
            raise self._unreadable(error) from error
        return db

    def _open(self) -> sqlite3.Connection:
        """The loop's connection, with the schema checked.  Opening may wait
        for another process's lock (once, at start); later calls never do."""
        db = self._connect(5_000)
        try:
            db.executescript(_SCHEMA)
            db.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
            (found,) = db.execute("SELECT value FROM meta WHERE name = 'format'").fetchone()
            db.execute("PRAGMA busy_timeout = 0")
        except sqlite3.DatabaseError as error:
            db.close()
            raise self._unreadable(error) from error
        if found != FORMAT:
            db.close()
            raise ConfigError(
                f"response cache {self.path} has format {found!r}, this version reads "
                f"{FORMAT!r}: delete the file or choose another cache path"
            )
        return db

    def _unreadable(self, error: BaseException) -> ConfigError:
        return ConfigError(
            f"response cache {self.path} cannot be used ({error}): check that it is a "
            "writable rafa-async cache, or delete it or choose another cache path"
        )

    async def _run(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """``query`` on the loop's connection, or in a worker thread if the file
        is locked by another process."""
        try:
            return query(self._db)
        except sqlite3.OperationalError as error:
            if not _busy(error):
                raise self._unreadable(error) from error
        except sqlite3.DatabaseError as error:
            raise self._unreadable(error) from error
        async with self._slow_lock:
            try:
                if self._slow is None:
                    self._slow = await anyio.to_thread.run_sync(self._connect, 10_000)
                return await anyio.to_thread.run_sync(query, self._slow)
            except sqlite3.DatabaseError as error:
                raise self._unreadable(error) from error

    async def lookup(self, key: str) -> ChatResponse | None:
        row = await self._run(lambda db: db.execute(_GET, (key,)).fetchone())
        if row is None:
            return None
        try:
            return _decode(row[0])
        except msgspec.DecodeError as error:
            raise ConfigError(
                f"response cache {self.path} has a damaged entry {key} ({error}): "
                "delete the file or choose another cache path"
            ) from error

    async def store(self, key: str, response: ChatResponse) -> None:
        row = (key, _encode(response), time.time())
        await self._run(lambda db: db.execute(_PUT, row))

    async def complete(self, request: ChatRequest) -> ChatResponse:
        key = request_key(request, self.identity)
        cached = await self.lookup(key)
        if cached is not None:
            self.hits += 1
            note_cached_call()
            return cached
        flight = self._flights.get(key)
        if flight is not None:
            await flight.done.wait()
            if flight.response is not None:
                self.coalesced += 1
                note_cached_call()
                return flight.response
            self.misses += 1
            response = await self._inner.complete(request)
        else:
            self.misses += 1
            flight = self._flights[key] = _Flight()
            try:
                response = flight.response = await self._inner.complete(request)
            finally:
                del self._flights[key]
                flight.done.set()
        await self.store(key, response)
        return response

    def close(self) -> None:
        """Close the file (idempotent).  Nothing is pending: every store commits."""
        self._db.close()
        if self._slow is not None:
            self._slow.close()
            self._slow = None
