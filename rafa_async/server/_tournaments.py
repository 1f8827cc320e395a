"""Tournaments on request: the tournament runner inside the server's loop.

:class:`TournamentManager` is anyio-only, like
:class:`~rafa_async.server.MatchManager` beside it::

    async with TournamentManager(data_dir=None) as tournaments:
        tournament_id = tournaments.start(toml_text)
        view = await tournaments.wait(tournament_id)  # status, counts, standings

Each tournament is :func:`~rafa_async.tournament.run_tournament` in the
manager's task group, under its own cancel scope (:meth:`cancel`), writing
to its own database ``DATA_DIR/ID.sqlite``: a cancelled one leaves its
matches in flight ``running`` there, so ``rafa tournament run CONFIG --db
DATA_DIR/ID.sqlite --resume`` can finish it.  ``data_dir=None`` makes a
temporary directory on entry and removes it on exit.  Only the simulated
LLM is played (the server holds no provider keys for its clients).
Leaving the ``async with`` cancels every tournament still running and
waits for them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from contextlib import AsyncExitStack
from pathlib import Path
from typing import get_args

import anyio
import anyio.abc
import msgspec
import structlog

from rafa_async._errors import ConfigError
from rafa_async.llm import SIM_LABEL
from rafa_async.server._registry import LimitReached, Registry, RunOwner, UnknownId
from rafa_async.server._types import (
    TERMINAL,
    StandingRow,
    TournamentCounts,
    TournamentStatus,
    TournamentView,
)
from rafa_async.tournament import (
    Progress,
    TournamentConfig,
    TournamentDB,
    parse_tournament,
    run_tournament,
    standings,
)

_log = structlog.get_logger("rafa_async.server")


class TournamentLimitReached(LimitReached):
    """As many tournaments are running as the manager allows.  HTTP: 429
    with ``Retry-After``."""

    kinds = "tournaments"


class UnknownTournament(UnknownId):
    """No tournament has this id (or it was forgotten).  HTTP: 404."""

    kind = "tournament"


class _Tournament:
    def __init__(self, tournament_id: str, config: TournamentConfig, db: TournamentDB) -> None:
        self.id = tournament_id
        self.config = config
        self.db = db
        self.progress = Progress()
        self.status: TournamentStatus = "running"
        self.error: str | None = None
        self.final: TournamentView | None = None
        """Its view when it ended (its rate would keep falling with the
        clock, and its database is closed with the manager)."""
        self.scope = anyio.CancelScope()
        self.done = anyio.Event()

    def view(self) -> TournamentView:
        if self.final is not None:
            return self.final
        progress, over = self.progress, self.status in TERMINAL
        return TournamentView(
            id=self.id,
            name=self.config.name,
            status=self.status,
            simulated=self.db.label() == SIM_LABEL,
            label=self.db.label(),
            counts=self.counts(),
            eta_s=None if over else progress.eta_s,
            llm_calls_per_s=progress.calls_per_s,
            standings=self.standings(),
            error=self.error,
        )

    def counts(self) -> TournamentCounts:
        """Its matches by state (its progress: final once it is over)."""
        return msgspec.convert(self.progress, TournamentCounts, from_attributes=True)

    def standings(self) -> list[StandingRow]:
        names = [p.name for p in self.config.participants]
        results = self.db.results()
        if not results:
            return [StandingRow(participant=name, games=0, points=0.0) for name in names]
        return [
            StandingRow(
                participant=row.name,
                games=row.games,
                points=row.points,
                score=row.elo.score,
                elo=_finite(row.elo.elo),
                elo_lower=_finite(row.elo.lower),
                elo_upper=_finite(row.elo.upper),
                mu=row.mu,
                sigma=row.sigma,
            )
            for row in standings(results, names).rows
        ]


def _finite(value: float | None) -> float | None:
    return None if value is None or abs(value) == float("inf") else value


class TournamentManager(RunOwner):
    """Starts, tracks and cancels tournaments (see the module doc).

    ``data_dir``: where their databases go (``None``: a temporary directory
    for the manager's lifetime); ``max_tournaments``: running at once
    (:class:`TournamentLimitReached` beyond); ``history``: tournaments
    remembered (the oldest finished ones are forgotten first; their
    databases stay in ``data_dir``).  Leaving (``aclose``) cancels every
    running tournament, waits for them, closes their databases and removes a
    temporary ``data_dir``."""

    def __init__(
        self,
        *,
        data_dir: str | os.PathLike[str] | None = None,
        max_tournaments: int = 2,
        history: int = 100,
    ) -> None:
        super().__init__()
        for name, value in (("max_tournaments", max_tournaments), ("history", history)):
            if value < 1:
                raise ConfigError(f"{name} must be >= 1, got {value}", fields=(name,))
        self.max_tournaments = max_tournaments
        self.history = history
        self._given_dir = Path(data_dir) if data_dir is not None else None
        self.data_dir: Path | None = None
        self._tournaments: Registry[_Tournament] = Registry(
            limit=max_tournaments,
            history=history,
            unknown=UnknownTournament,
            full=TournamentLimitReached,
            forget=lambda tournament: tournament.db.close(),
        )

    async def __aenter__(self) -> TournamentManager:
        if self._given_dir is None:
            self.data_dir = Path(tempfile.mkdtemp(prefix="rafa-serve-"))
        else:
            self.data_dir = self._given_dir
            try:
                self.data_dir.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ConfigError(
                    f"data_dir {self.data_dir}: cannot create it ({error.strerror})",
                    fields=("data_dir",),
                ) from None
        async with AsyncExitStack() as stack:
            stack.callback(self._close_databases)
            await self._own(stack)
        return self

    def _close_databases(self) -> None:
        for tournament in self._tournaments:
            tournament.db.close()
        if self._given_dir is None and self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def start(self, text: str) -> str:
        """Start the tournament of the TOML ``text``; its id.
        :class:`ConfigError` (field ``config``, the message naming the line
        and key) for a bad config, :class:`TournamentLimitReached` at the
        limit; ``RuntimeError`` if the manager is not open."""
        tg = self._task_group()
        assert self.data_dir is not None  # made when the manager was entered
        try:
            config = parse_tournament(text)
        except ConfigError as error:
            raise ConfigError(str(error), fields=("config",)) from None
        if not config.simulated:
            real = next(p for p in config.participants if p.uses_llm and p.provider != "sim")
            raise ConfigError(
                f"participant {real.name!r}: provider {real.provider!r}: this server plays "
                'the simulated LLM only (provider = "sim")',
                fields=("config",),
            )
        self._tournaments.ensure_room()
        tournament_id = uuid.uuid4().hex[:12]
        db = TournamentDB.create(self.data_dir / f"{tournament_id}.sqlite", config, resume=False)
        tournament = _Tournament(tournament_id, config, db)
        self._tournaments.add(tournament)
        tg.start_soon(self._run, tournament, name=f"tournament {tournament_id}")
        _log.info("tournament_started", tournament=tournament_id, name=config.name)
        return tournament_id

    async def _run(self, tournament: _Tournament) -> None:
        try:
            with tournament.scope:
                await run_tournament(tournament.config, tournament.db, progress=tournament.progress)
                tournament.status = "finished"
        except Exception as error:  # a bug or a provider failure: the tournament failed
            _log.exception("tournament_failed", tournament=tournament.id)
            tournament.status, tournament.error = "failed", f"{type(error).__name__}: {error}"
        finally:
            if tournament.status == "running":  # cancelled, or the manager is closing
                tournament.status = "cancelled"
            tournament.final = tournament.view()
            tournament.done.set()
            _log.info("tournament_closed", tournament=tournament.id, status=tournament.status)

    def get(self, tournament_id: str) -> TournamentView:
        """Its status, match counts, ETA, LLM calls/s and standings;
        :class:`UnknownTournament` if there is none."""
        return self._tournaments.get(tournament_id).view()

    async def wait(self, tournament_id: str) -> TournamentView:
        """Wait (cancellable) until it is over; its view."""
        return (await self._tournaments.wait(tournament_id)).view()

    def cancel(self, tournament_id: str) -> TournamentView:
        """Cancel it (nothing happens to one already over); its view.  It is
        ``cancelled`` once its task has unwound (see :meth:`wait`)."""
        return self._tournaments.cancel(tournament_id).view()

    def list(self) -> list[TournamentView]:
        """Every tournament remembered, oldest first."""
        return [t.view() for t in self._tournaments]

    @property
    def running(self) -> int:
        return self._tournaments.running

    def counts(self) -> dict[TournamentStatus, int]:
        """Tournaments remembered, by status."""
        return self._tournaments.counts(get_args(TournamentStatus))

    def match_counts(self) -> TournamentCounts:
        """The matches of every tournament remembered (running or over), by
        state, summed."""
        totals = dict.fromkeys(TournamentCounts.__struct_fields__, 0)
        for tournament in self._tournaments:
            for state, n in msgspec.structs.asdict(tournament.counts()).items():
                totals[state] += n
        return TournamentCounts(**totals)
