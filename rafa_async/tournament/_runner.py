"""Running a tournament: many matches at once, each written as it ends.

:func:`run_tournament` plans the matches into the database (a Swiss
tournament one round at a time), then plays every planned one,
``config.concurrency`` at a time, through an executor (in process by
default, or Ray), writing each outcome in its own transaction the moment it
ends.  It is resumable by construction: it plays whatever is ``planned``,
after setting any match left ``running`` by a crash back to planned.  With
an SPRT, a pairing whose test is decided plays no further match.

Progress (done, running, failed, ETA, standings, LLM calls/s) is kept in a
:class:`Progress` that a front end renders live.

The database is written on the event loop, not in a worker thread: a
match's transaction takes about 1-3 ms (``benchmarks/tournament_scale.py``)
against the match's own seconds, whereas handing each write to a thread
cost ~27 ms of GIL hand-offs per match under 32 concurrent matches and
made the whole tournament ~35% slower.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import anyio
import anyio.lowlevel
import structlog

from rafa_async._concurrency import for_each_limited
from rafa_async.tournament._config import TournamentConfig
from rafa_async.tournament._db import TournamentDB
from rafa_async.tournament._outcome import MatchOutcome
from rafa_async.tournament._plan import PlannedMatch, planned_matches, swiss_round
from rafa_async.tournament._play import Executor, LocalExecutor
from rafa_async.tournament._results import GameResult
from rafa_async.tournament._sprt import sprt

log = structlog.get_logger(__name__)
T = TypeVar("T")


@dataclass
class Progress:
    """Where a running tournament is; updated as matches start and end."""

    planned: int = 0
    finished: int = 0
    failed: int = 0
    running: int = 0
    skipped: int = 0
    llm_calls: int = 0
    """LLM calls of the matches that ended in this run."""
    played: int = 0
    """Matches that ended in this run (finished or failed)."""
    started: float = field(default_factory=time.monotonic)
    points: dict[str, float] = field(default_factory=dict)
    games: dict[str, int] = field(default_factory=dict)
    decided: dict[str, str] = field(default_factory=dict)
    """Pairing -> the SPRT's decision (``H0`` or ``H1``)."""
    write_s: list[float] = field(default_factory=list)
    """Seconds each match's database transaction took."""
    match_s: list[float] = field(default_factory=list)
    """Seconds each match took to play."""

    @property
    def done(self) -> int:
        return self.finished + self.failed

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def calls_per_s(self) -> float:
        return self.llm_calls / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at this run's pace (``None`` before the first match ends)."""
        left = self.planned - self.done
        if not self.played:
            return None
        return self.elapsed / self.played * left

    def standings(self) -> list[tuple[str, float, int]]:
        """(participant, points, games), best first."""
        return sorted(
            ((p, self.points.get(p, 0.0), self.games.get(p, 0)) for p in self.games),
            key=lambda row: (-row[1] / max(row[2], 1), row[0]),
        )

    def count(self, result: GameResult) -> None:
        for who, score in ((result.first, result.score), (result.second, 1 - result.score)):
            self.points[who] = self.points.get(who, 0.0) + score
            self.games[who] = self.games.get(who, 0) + 1


class _Run:
    def __init__(
        self,
        config: TournamentConfig,
        db: TournamentDB,
        executor: Executor,
        progress: Progress,
        on_update: Callable[[Progress], None] | None,
    ) -> None:
        self.config = config
        self.db = db
        self.executor = executor
        self.progress = progress
        self.on_update = on_update
        self.by_pairing: dict[str, list[GameResult]] = {}

    async def call(self, func: Callable[..., T], *args: Any) -> T:
        """A database call, on the event loop (see the module's notes)."""
        result = func(*args)
        await anyio.lowlevel.checkpoint()
        return result

    def update(self) -> None:
        if self.on_update is not None:
            self.on_update(self.progress)

    def load(self) -> None:
        counts = self.db.counts()
        self.progress.planned = counts.planned
        self.progress.finished = counts.finished
        self.progress.failed = counts.failed
        self.progress.skipped = self.db.skipped()
        self.by_pairing.clear()
        for result in self.db.results():
            self.by_pairing.setdefault(result.pairing, []).append(result)
            self.progress.count(result)
        for pairing in self.by_pairing:
            self.check_sprt(pairing)

    def check_sprt(self, pairing: str) -> str | None:
        if self.config.sprt is None or pairing in self.progress.decided:
            return self.progress.decided.get(pairing)
        games = self.by_pairing.get(pairing, [])
        if not games:
            return None
        player, opponent = sorted((games[0].first, games[0].second))
        decision = sprt(games, self.config.sprt, player=player, opponent=opponent).decision
        if decision is not None:
            self.progress.decided[pairing] = decision
            log.info("sprt_decided", pairing=pairing, decision=decision)
        return decision

    async def play(self, matches: Sequence[PlannedMatch]) -> None:
        await for_each_limited(matches, self.config.concurrency, self.play_one)

    async def play_one(self, planned: PlannedMatch) -> None:
        decision = self.progress.decided.get(planned.pairing)
        if decision is not None:
            await self.call(self.db.skip, [planned.match_id], f"SPRT accepted {decision}")
            self.progress.skipped += 1
            self.progress.planned -= 1
            self.update()
            return
        await self.call(self.db.mark_running, planned.match_id)
        self.progress.running += 1
        self.update()
        try:
            outcome = await self.executor.play(planned)
        finally:
            self.progress.running -= 1
        with anyio.CancelScope(shield=True):  # a finished match is written, whatever happens
            spent = await self.call(self.db.write, outcome)
        self.record(planned, outcome, spent)

    def record(self, planned: PlannedMatch, outcome: MatchOutcome, write_s: float) -> None:
        progress = self.progress
        progress.played += 1
        progress.write_s.append(write_s)
        progress.match_s.append(outcome.wall_s)
        progress.llm_calls += sum(s.llm_calls for s in outcome.seats)
        if outcome.status == "failed":
            progress.failed += 1
            log.warning("match_failed", match=planned.match_id, error=outcome.error)
        else:
            progress.finished += 1
            first = outcome.seats[0].score
            result = GameResult(
                match_id=planned.match_id,
                game=planned.game,
                first=planned.first,
                second=planned.second,
                score=first,
                pairing=planned.pairing,
                pair=planned.pair,
            )
            self.by_pairing.setdefault(planned.pairing, []).append(result)
            progress.count(result)
            self.check_sprt(planned.pairing)
        self.update()

    async def swiss(self) -> None:
        for round in range(1, self.config.swiss_rounds + 1):
            if round > self.db.rounds():
                points, met = self.swiss_standing()
                byes = self.db.byes().values()
                matches, bye = swiss_round(self.config, round, points, met, byes)
                await self.call(self.db.plan, matches)
                if bye is not None:
                    await self.call(self.db.set_bye, round, bye)
                self.load()
                self.update()
            pending = [m for m in self.db.matches("planned") if m.round == round]
            await self.play(pending)

    def swiss_standing(self) -> tuple[Mapping[str, float], list[tuple[str, str]]]:
        """Points so far (a bye counts as winning every game of a pairing) and who has met."""
        points = {p.name: 0.0 for p in self.config.participants}
        for results in self.by_pairing.values():
            for r in results:
                points[r.first] += r.score
                points[r.second] += 1 - r.score
        per_pairing = self.config.games_per_pairing * len(self.config.games)
        for bye in self.db.byes().values():
            points[bye] += per_pairing
        met = [(m.first, m.second) for m in self.db.matches()]
        return points, met


async def run_tournament(
    config: TournamentConfig,
    db: TournamentDB,
    *,
    executor: Executor | None = None,
    on_update: Callable[[Progress], None] | None = None,
    progress: Progress | None = None,
) -> Progress:
    """Play every planned match of ``config`` into ``db``; the final
    :class:`Progress`.  Matches left ``running`` by a crash are played again
    (their partial state was never written); finished and failed ones are
    kept (``retry-failed``: :meth:`TournamentDB.requeue` them first).
    ``executor``: where matches are played (default: this process,
    :class:`LocalExecutor`).  ``on_update`` is called as matches start and
    end.  Cancellable: matches in flight stay ``running`` and a resumed run
    plays them again.
    """
    progress = progress if progress is not None else Progress()
    executor = executor if executor is not None else LocalExecutor(config)
    run = _Run(config, db, executor, progress, on_update)
    rerun = await run.call(db.requeue, "running")
    if rerun:
        log.info("tournament_rerun_in_flight", matches=rerun)
    if config.format != "swiss":
        await run.call(db.plan, planned_matches(config))
    run.load()
    run.update()
    async with executor:
        if config.format == "swiss":
            await run.swiss()
        else:
            decided = [m for m in db.matches("planned") if m.pairing in progress.decided]
            if decided:
                await run.call(db.skip, [m.match_id for m in decided], "SPRT decided")
                run.load()
            await run.play(db.matches("planned"))
    return progress
