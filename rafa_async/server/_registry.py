"""What the match and the tournament managers share: their runs, by id.

A :class:`Registry` remembers runs (a match, a tournament: anything with an
``id``, a ``status``, a cancel ``scope`` and a ``done`` event) oldest first,
forgets the oldest finished ones beyond its ``history``, refuses a new one
beyond its ``limit`` of running ones, and answers get/wait/cancel by id.
Each manager names its own errors (subclasses of :class:`UnknownId` and
:class:`LimitReached`: HTTP 404 and 429), so its clients catch what they
mean.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from contextlib import AsyncExitStack
from types import TracebackType
from typing import Generic, Protocol, TypeVar

import anyio
import anyio.abc

from rafa_async._errors import RafaError
from rafa_async.server._types import TERMINAL


class UnknownId(RafaError, KeyError):
    """No run has this id (or it was forgotten: see ``history``).  HTTP: 404."""

    kind = "run"

    def __str__(self) -> str:
        return f"no {self.kind} {self.args[0]!r}"


class LimitReached(RafaError):
    """As many runs are running as the manager allows; try again later
    (``retry_after`` seconds is a hint).  HTTP: 429 with ``Retry-After``."""

    kinds = "runs"

    def __init__(self, limit: int, retry_after: float = 1.0) -> None:
        super().__init__(f"{limit} {self.kinds} are running, the most this server plays at once")
        self.limit = limit
        self.retry_after = retry_after


class RunOwner:
    """A manager's life: the task group its runs go in, and what was entered
    with it (an exit stack: an LLM stack, databases to close).  A subclass's
    ``__aenter__`` ends with :meth:`_own`; leaving (``aclose``) cancels every
    run, waits for them, and closes the rest."""

    def __init__(self) -> None:
        self._tg: anyio.abc.TaskGroup | None = None
        self._stack = AsyncExitStack()

    async def _own(self, stack: AsyncExitStack) -> None:
        """Open the task group inside ``stack`` and keep both (the caller's
        ``async with`` then leaves an emptied stack)."""
        self._tg = await stack.enter_async_context(anyio.create_task_group())
        self._stack = stack.pop_all()

    def _task_group(self) -> anyio.abc.TaskGroup:
        """Where runs start; ``RuntimeError`` if the manager is not open."""
        if self._tg is None:
            name = type(self).__name__
            raise RuntimeError(f"the {name} is not running (use it in 'async with')")
        return self._tg

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Cancel every run and wait for them; close what was entered with them."""
        if self._tg is not None:
            self._tg.cancel_scope.cancel()
        self._tg = None
        await self._stack.aclose()


class Entry(Protocol):
    """A run as the registry sees it (read-only here: its manager sets them)."""

    @property
    def id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def scope(self) -> anyio.CancelScope: ...

    @property
    def done(self) -> anyio.Event: ...


E = TypeVar("E", bound=Entry)
S = TypeVar("S", bound=str)


class Registry(Generic[E]):
    """Runs by id, oldest first (see the module doc).

    ``limit``: runs ``running`` at once (``full`` beyond, from
    :meth:`ensure_room`); ``history``: runs remembered (the oldest over ones
    are forgotten first, each passed to ``forget``); ``unknown``: the error
    for an id it does not know."""

    def __init__(
        self,
        *,
        limit: int,
        history: int,
        unknown: type[UnknownId],
        full: type[LimitReached],
        forget: Callable[[E], None] | None = None,
    ) -> None:
        self.limit = limit
        self.history = history
        self._unknown = unknown
        self._full = full
        self._forget = forget
        self._entries: OrderedDict[str, E] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[E]:
        """The runs remembered, oldest first."""
        return iter(list(self._entries.values()))

    @property
    def running(self) -> int:
        return sum(entry.status == "running" for entry in self._entries.values())

    def counts(self, statuses: Iterable[S]) -> dict[S, int]:
        """Runs remembered, by status (each of ``statuses``, in its order)."""
        return {s: sum(e.status == s for e in self._entries.values()) for s in statuses}

    def ensure_room(self) -> None:
        """``full`` if ``limit`` runs are running: call it before making one."""
        if self.running >= self.limit:
            raise self._full(self.limit)

    def add(self, entry: E) -> None:
        """Remember ``entry`` (the newest), forgetting the oldest over runs
        beyond ``history``."""
        self._entries[entry.id] = entry
        over = [e for e in self._entries.values() if e.status in TERMINAL]
        for old in over[: max(0, len(self._entries) - self.history)]:
            if self._forget is not None:
                self._forget(old)
            del self._entries[old.id]

    def find(self, entry_id: str) -> E | None:
        return self._entries.get(entry_id)

    def get(self, entry_id: str) -> E:
        """The run of this id; ``unknown`` if there is none."""
        entry = self._entries.get(entry_id)
        if entry is None:
            raise self._unknown(entry_id)
        return entry

    async def wait(self, entry_id: str) -> E:
        """The run once it is over (cancellable: waits on its ``done``)."""
        entry = self.get(entry_id)
        await entry.done.wait()
        return entry

    def cancel(self, entry_id: str) -> E:
        """Cancel the run (nothing happens to one already over).  It is over
        once its task has unwound (see :meth:`wait`)."""
        entry = self.get(entry_id)
        entry.scope.cancel()
        return entry
