"""Playing a tournament's matches on a Ray cluster (more than one machine).

:class:`RayExecutor` is an :class:`~rafa_async.tournament.Executor`: the
runner hands it matches exactly as it hands them to the in-process
:class:`~rafa_async.tournament.LocalExecutor`, and writes every outcome to
the database itself, in the driver.  Workers never touch the database, so
the resume semantics are the local ones: a match whose outcome has not
reached the driver is still ``running`` there, and a resumed run plays it
again.

On entry it connects to Ray (``ray.init(address=...)``, unless the process
already did) and starts W long-lived worker actors, one CPU each, where
W = min(``concurrency``, the cluster's CPUs, ``limits.max_concurrency``).
Each worker keeps its own event loop (a thread with an anyio
:class:`~anyio.from_thread.BlockingPortal`, on the driver's backend) and
one LLM stack per provider open for the whole tournament, and plays the
matches it is given with :func:`~rafa_async.tournament.play_planned`,
several at once.  The driver keeps at most ``concurrency`` matches in
flight (the runner's bound) and gives each to the worker with the fewest.

LLM limits stay global by **per-worker shares**: worker ``i`` of W gets
``max_concurrency // W`` calls in flight (plus one for the first
``max_concurrency % W`` workers, so the shares add up to exactly
``max_concurrency``), and ``rpm / W`` and ``tpm / W``.  The cluster
never exceeds the tournament's limits; a share one worker leaves idle is
not lent to another, so with uneven load it may stay below them.

A match's outcome does not depend on where it is played: its seats are
sampled with the match's seed, and each match has fresh memories.

Ray is the optional ``ray`` extra and is imported only when a
:class:`RayExecutor` is built; without it the error names the extra.
Planned matches and outcomes cross the wire as msgspec msgpack, the config
as its JSON.  The workers must be able to import the same ``rafa_async``
(and, for a real provider, find its config file and API keys).
"""

from __future__ import annotations

import asyncio
import importlib
import math
import os
from contextlib import AbstractContextManager, ExitStack
from types import ModuleType, TracebackType
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
import msgspec
import sniffio
import structlog

from rafa_async._errors import ConfigError
from rafa_async.tournament._config import TournamentConfig, config_from_json, config_json
from rafa_async.tournament._outcome import MatchOutcome
from rafa_async.tournament._plan import PlannedMatch
from rafa_async.tournament._play import CallRouter, play_planned, tournament_llms

log = structlog.get_logger(__name__)

RAY_EXTRA = "pip install 'rafa-async[ray]'"
"""How to get Ray: the ``ray`` extra."""


UV_RUN_PROPAGATION = "RAY_ENABLE_UV_RUN_RUNTIME_ENV"
"""Ray's switch for copying a ``uv run`` driver's environment to its workers."""


def import_ray() -> ModuleType:
    """The ``ray`` module; :class:`ConfigError` naming the extra without it.

    Ray's ``uv run`` propagation is turned off (unless the environment sets
    :data:`UV_RUN_PROPAGATION`; Ray reads it at import): under ``uv run``,
    Ray would zip the working directory into every worker and start it with
    the driver's ``uv run`` command line there -- a relative ``uv`` path
    (``make test``'s) then fails in the copy, and the workers die at start.
    The workers need the installed ``rafa_async``, not the driver's folder.
    """
    os.environ.setdefault(UV_RUN_PROPAGATION, "0")
    try:
        return importlib.import_module("ray")
    except ImportError:
        raise ConfigError(f"--executor ray needs Ray: {RAY_EXTRA}") from None


def worker_shares(config: TournamentConfig, workers: int) -> list[TournamentConfig]:
    """Each of ``workers`` workers' config: the same, with its share of the
    LLM limits (they add up to the tournament's)."""
    limits = config.limits
    base, extra = divmod(limits.max_concurrency, workers)
    shares = []
    for i in range(workers):
        share = msgspec.structs.replace(
            limits,
            max_concurrency=max(1, base + (1 if i < extra else 0)),
            rpm=None if limits.rpm is None else limits.rpm / workers,
            tpm=None if limits.tpm is None else limits.tpm / workers,
        )
        shares.append(msgspec.structs.replace(config, limits=share))
    return shares


class MatchWorker:
    """A Ray actor's body: plays matches with its LLM stacks kept open.

    Ray runs its ``async`` methods on the actor's asyncio loop, which only
    dispatches: the matches run on the worker's own anyio loop (a portal
    thread), so they need not share Ray's loop, and a backend is chosen.
    ``ray.cancel`` cancels :meth:`play`'s asyncio task, which cancels the
    match on the portal.
    """

    def __init__(self, config: str, backend: str) -> None:
        self.config = config_from_json(config)
        self.router = CallRouter()
        self._exit = ExitStack()
        self.portal = self._exit.enter_context(anyio.from_thread.start_blocking_portal(backend))
        opened: AbstractContextManager[Any] = self.portal.wrap_async_context_manager(
            tournament_llms(self.config, self.router)
        )
        self.llms = self._exit.enter_context(opened)

    async def ready(self) -> int:
        """The worker's LLM call limit (once it has started)."""
        return self.config.limits.max_concurrency

    async def play(self, planned: bytes) -> bytes:
        match = msgspec.msgpack.decode(planned, type=PlannedMatch)
        future = self.portal.start_task_soon(
            play_planned, self.config, match, self.llms, self.router
        )
        outcome = await asyncio.wrap_future(future)  # cancelling this cancels the match
        return msgspec.msgpack.encode(outcome)

    async def close(self) -> None:
        """Close the LLM stacks and stop the worker's loop."""
        await asyncio.to_thread(self._exit.close)


class RayExecutor:
    """Plays matches as tasks on a Ray cluster; outcomes come back to the driver.

    ``address``: ``None`` starts a local Ray instance (with ``num_cpus``
    CPUs; default all), ``"auto"`` joins the cluster this machine belongs to,
    ``"ray://HOST:10001"`` a remote one.  If the process already called
    ``ray.init``, that connection is used and left open on exit; one the
    executor opened is shut down on exit.
    """

    def __init__(
        self, config: TournamentConfig, address: str | None = None, num_cpus: int | None = None
    ) -> None:
        if address is not None and num_cpus is not None:
            raise ConfigError("num_cpus is for a local Ray instance, not with an address")
        self.ray = import_ray()
        self.config = config
        self.address = address
        self.num_cpus = num_cpus
        self.workers: list[Any] = []
        self._busy: list[int] = []
        self._started = False

    async def __aenter__(self) -> RayExecutor:
        ray = self.ray
        if not ray.is_initialized():
            # Abandoned on cancel: Ray retries an unreachable address for minutes.
            await anyio.to_thread.run_sync(self._init, abandon_on_cancel=True)
            self._started = True
        try:
            await self._start_workers()
        except BaseException:
            await self._stop()
            raise
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        with anyio.CancelScope(shield=True):
            await self._stop()

    def _init(self) -> None:
        options: dict[str, Any] = {"address": self.address}
        if self.address is None:
            options.update(num_cpus=self.num_cpus, include_dashboard=False)
        try:
            self.ray.init(**options)
        except ConnectionError as error:
            reason = str(error).split(". ")[0]
            raise ConfigError(f"cannot join Ray at {self.address}: {reason}") from None

    async def _start_workers(self) -> None:
        ray = self.ray
        cpus = int(ray.cluster_resources().get("CPU", 1))
        count = max(1, min(self.config.concurrency, cpus, self.config.limits.max_concurrency))
        per_worker = math.ceil(self.config.concurrency / count)
        actor = ray.remote(num_cpus=1, max_concurrency=per_worker + 1)(MatchWorker)
        backend = sniffio.current_async_library()
        self.workers = [
            actor.remote(config_json(share), backend) for share in worker_shares(self.config, count)
        ]
        self._busy = [0] * count
        await self._get([w.ready.remote() for w in self.workers])
        log.info("ray_workers_started", workers=count, cluster_cpus=cpus, matches_each=per_worker)

    async def _stop(self) -> None:
        ray = self.ray
        workers, self.workers = self.workers, []
        try:
            if workers:
                await self._get([w.close.remote() for w in workers])
        except Exception as error:  # a worker already gone: nothing left to close
            log.warning("ray_worker_close_failed", error=str(error))
        finally:
            for worker in workers:
                ray.kill(worker)
            if self._started:
                self._started = False
                await anyio.to_thread.run_sync(ray.shutdown)

    async def _get(self, ref: Any) -> Any:
        """``ray.get(ref)`` without blocking the event loop: on asyncio the
        ObjectRef is awaited; on trio ``ray.get`` waits in a thread (one per
        match in flight).  Cancelling it cancels the Ray task (the worker
        stops the match) and returns at once."""
        try:
            if isinstance(ref, list):
                return await anyio.to_thread.run_sync(self.ray.get, ref, abandon_on_cancel=True)
            if sniffio.current_async_library() == "asyncio":
                return await ref
            return await anyio.to_thread.run_sync(self.ray.get, ref, abandon_on_cancel=True)
        except anyio.get_cancelled_exc_class():
            for one in ref if isinstance(ref, list) else [ref]:
                self.ray.cancel(one)
            raise

    async def play(self, planned: PlannedMatch) -> MatchOutcome:
        index = min(range(len(self.workers)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            ref = self.workers[index].play.remote(msgspec.msgpack.encode(planned))
            data = await self._get(ref)
        finally:
            self._busy[index] -= 1
        return msgspec.msgpack.decode(data, type=MatchOutcome)
