"""The tournament database: SQLite, WAL, one transaction per finished match.

Every planned match is a row of ``matches`` from the start (``planned``);
it becomes ``running`` when it starts, and ``finished`` or ``failed`` in
the one transaction that also writes its seats (calls, tokens, cost,
decision times) and its LLM calls.  A process killed at any moment (even
``kill -9``) leaves every finished match written exactly once and the ones
in flight ``running``: ``--resume`` sets those back to ``planned`` and
plays them again.  WAL lets ``rafa tournament status`` read while the
runner writes.

The connection is used from one thread at a time (the runner writes from
its event loop); ``synchronous=NORMAL`` is durable against a crash of the
process, which is what resuming needs (a power cut may lose the last
matches, never corrupt the file).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from rafa_async._errors import ConfigError
from rafa_async._paths import unwritable
from rafa_async.llm import SIM_LABEL
from rafa_async.tournament._config import TournamentConfig, config_from_json, config_json
from rafa_async.tournament._outcome import CallOutcome, MatchOutcome, MatchState, SeatOutcome
from rafa_async.tournament._plan import PlannedMatch
from rafa_async.tournament._results import GameResult

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS matches (
    match_id TEXT PRIMARY KEY,
    round INTEGER NOT NULL,
    game TEXT NOT NULL,
    pairing TEXT NOT NULL,
    first TEXT NOT NULL,
    second TEXT NOT NULL,
    idx INTEGER NOT NULL,
    pair INTEGER,
    seed INTEGER NOT NULL,
    planned_order INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'planned'
        CHECK (status IN ('planned', 'running', 'finished', 'failed', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    score REAL,
    scores TEXT,
    turns INTEGER,
    moves TEXT,
    digest TEXT,
    wall_s REAL,
    simulated INTEGER,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS matches_status ON matches (status);
CREATE TABLE IF NOT EXISTS seats (
    match_id TEXT NOT NULL REFERENCES matches (match_id),
    seat TEXT NOT NULL,
    participant TEXT NOT NULL,
    kind TEXT NOT NULL,
    provider TEXT NOT NULL,
    score REAL NOT NULL,
    llm_calls INTEGER NOT NULL,
    failed_calls INTEGER NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cost_usd REAL,
    decisions TEXT NOT NULL,
    late INTEGER NOT NULL,
    rejected INTEGER NOT NULL,
    PRIMARY KEY (match_id, seat)
);
CREATE TABLE IF NOT EXISTS calls (
    match_id TEXT NOT NULL REFERENCES matches (match_id),
    seat TEXT NOT NULL,
    call INTEGER NOT NULL,
    intent TEXT NOT NULL,
    outcome TEXT NOT NULL,
    start REAL NOT NULL,
    latency REAL NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    PRIMARY KEY (match_id, seat, call)
);
CREATE TABLE IF NOT EXISTS turns (
    match_id TEXT NOT NULL REFERENCES matches (match_id),
    turn INTEGER NOT NULL,
    start REAL NOT NULL,
    PRIMARY KEY (match_id, turn)
);
"""

_PLANNED_COLUMNS = "match_id, round, game, pairing, first, second, idx, pair, seed"


class Counts(msgspec.Struct, kw_only=True):
    """``rafa tournament status --json``: the four counts, by these names.
    ``planned`` counts every match the tournament will play (matches an SPRT
    decision made unnecessary are no longer planned)."""

    planned: int
    finished: int
    failed: int
    running: int


class TournamentDB:
    """A tournament's results file.  Create it with :meth:`create` (a new
    tournament) or :meth:`open` (an existing one); close it when done."""

    def __init__(self, path: str | os.PathLike[str], connection: sqlite3.Connection) -> None:
        self.path = Path(path)
        self._db = connection

    # -- opening -----------------------------------------------------------------------

    @classmethod
    def create(
        cls, path: str | os.PathLike[str], config: TournamentConfig, *, resume: bool
    ) -> TournamentDB:
        """The database of ``config`` at ``path``.  A new file is set up; an
        existing one is taken only with ``resume`` and only if it was made by
        the same config.  :class:`ConfigError` naming the problem otherwise."""
        path = Path(path)
        exists = path.exists() and path.stat().st_size > 0
        if exists and not resume:
            raise ConfigError(
                f"{path} already holds a tournament: add --resume to go on with it, "
                "or give another --db",
                fields=("db",),
            )
        problem = "" if exists else unwritable(path)
        if problem:
            raise ConfigError(f"cannot create {path}: {problem}", fields=("db",))
        db = cls._connect(path)
        try:
            stored = db._meta("config")
            if stored is None:
                if exists:
                    raise ConfigError(f"{path} is not a rafa tournament database", fields=("db",))
                db._init(config)
            elif config_from_json(stored) != config:
                raise ConfigError(
                    f"{path} was made by another tournament config; resume it with the "
                    "config it was made by, or give another --db",
                    fields=("db",),
                )
        except BaseException:
            db.close()
            raise
        return db

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> TournamentDB:
        """An existing tournament database (to read, resume or retry)."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such tournament database", fields=("db",))
        db = cls._connect(path)
        if db._meta("config") is None:
            db.close()
            raise ConfigError(f"{path} is not a rafa tournament database", fields=("db",))
        return db

    @classmethod
    def _connect(cls, path: Path) -> TournamentDB:
        try:
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA busy_timeout=10000")
            connection.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{path}: not a usable SQLite database ({exc})") from None
        return cls(path, connection)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> TournamentDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _init(self, config: TournamentConfig) -> None:
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [
                    ("schema", str(SCHEMA_VERSION)),
                    ("config", config_json(config)),
                    ("created_at", str(time.time())),
                ],
            )

    def _meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @property
    def config(self) -> TournamentConfig:
        stored = self._meta("config")
        assert stored is not None  # opened databases have one
        return config_from_json(stored)

    # -- the plan ----------------------------------------------------------------------

    def plan(self, matches: Sequence[PlannedMatch]) -> int:
        """Add ``matches`` as planned (those already there are kept as they
        are); how many were new."""
        with self._transaction() as db:
            start = db.execute("SELECT COALESCE(MAX(planned_order), -1) FROM matches").fetchone()[0]
            before = db.total_changes
            db.executemany(
                f"INSERT OR IGNORE INTO matches ({_PLANNED_COLUMNS}, planned_order) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        m.match_id,
                        m.round,
                        m.game,
                        m.pairing,
                        m.first,
                        m.second,
                        m.index,
                        m.pair,
                        m.seed,
                        start + 1 + i,
                    )
                    for i, m in enumerate(matches)
                ],
            )
            return db.total_changes - before

    def matches(self, *states: MatchState) -> list[PlannedMatch]:
        """The matches in ``states`` (all if none), in planned order."""
        where = f"WHERE status IN ({', '.join('?' * len(states))})" if states else ""
        rows = self._db.execute(
            f"SELECT {_PLANNED_COLUMNS} FROM matches {where} ORDER BY planned_order", states
        ).fetchall()
        return [_planned(row) for row in rows]

    def rounds(self) -> int:
        """The highest round planned (Swiss; 0 for the other formats)."""
        return int(self._db.execute("SELECT COALESCE(MAX(round), 0) FROM matches").fetchone()[0])

    def requeue(self, state: MatchState) -> int:
        """Set every match in ``state`` (``running`` after a crash, ``failed``
        for ``retry-failed``) back to planned; how many."""
        with self._transaction() as db:
            return db.execute(
                "UPDATE matches SET status = 'planned', error = NULL WHERE status = ?", (state,)
            ).rowcount

    def mark_running(self, match_id: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE matches SET status = 'running', attempts = attempts + 1, "
                "started_at = ? WHERE match_id = ?",
                (time.time(), match_id),
            )

    def skip(self, match_ids: Iterable[str], reason: str) -> int:
        """Mark planned matches as skipped (their pairing is decided)."""
        with self._transaction() as db:
            return db.executemany(
                "UPDATE matches SET status = 'skipped', error = ? "
                "WHERE match_id = ? AND status = 'planned'",
                [(reason, m) for m in match_ids],
            ).rowcount

    def set_bye(self, round: int, participant: str) -> None:
        """Swiss: ``participant`` sits out ``round`` (it scores as a win)."""
        with self._transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                (f"bye:{round}", participant),
            )

    def byes(self) -> dict[int, str]:
        """Swiss: round -> the participant who sat it out."""
        rows = self._db.execute("SELECT key, value FROM meta WHERE key LIKE 'bye:%'").fetchall()
        return {int(k.partition(":")[2]): str(v) for k, v in rows}

    # -- results -----------------------------------------------------------------------

    def write(self, outcome: MatchOutcome) -> float:
        """Write a played match, its seats and its calls in one transaction
        (replacing what an earlier attempt of it left); the seconds it took."""
        started = time.perf_counter()
        first = next((s.score for s in outcome.seats if s.seat == _first_seat(outcome)), None)
        with self._transaction() as db:
            for table in ("seats", "calls", "turns"):
                db.execute(f"DELETE FROM {table} WHERE match_id = ?", (outcome.match_id,))
            db.execute(
                "UPDATE matches SET status = ?, error = ?, score = ?, scores = ?, turns = ?, "
                "moves = ?, digest = ?, wall_s = ?, simulated = ?, finished_at = ? "
                "WHERE match_id = ?",
                (
                    outcome.status,
                    outcome.error,
                    first if outcome.status == "finished" else None,
                    msgspec.json.encode(outcome.scores).decode(),
                    outcome.turns,
                    msgspec.json.encode(outcome.moves).decode(),
                    outcome.digest,
                    outcome.wall_s,
                    int(outcome.simulated),
                    time.time(),
                    outcome.match_id,
                ),
            )
            db.executemany(
                "INSERT INTO seats VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        outcome.match_id,
                        s.seat,
                        s.participant,
                        s.kind,
                        s.provider,
                        s.score,
                        s.llm_calls,
                        s.failed_calls,
                        s.prompt_tokens,
                        s.completion_tokens,
                        s.cost_usd,
                        msgspec.json.encode(s.decisions).decode(),
                        s.late,
                        s.rejected,
                    )
                    for s in outcome.seats
                ],
            )
            db.executemany(
                "INSERT INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(outcome.match_id, *msgspec.structs.astuple(c)) for c in outcome.calls],
            )
            db.executemany(
                "INSERT INTO turns VALUES (?, ?, ?)",
                [(outcome.match_id, i + 1, t) for i, t in enumerate(outcome.turn_starts)],
            )
        return time.perf_counter() - started

    def counts(self) -> Counts:
        rows = dict(
            self._db.execute("SELECT status, COUNT(*) FROM matches GROUP BY status").fetchall()
        )
        return Counts(
            planned=sum(n for state, n in rows.items() if state != "skipped"),
            finished=rows.get("finished", 0),
            failed=rows.get("failed", 0),
            running=rows.get("running", 0),
        )

    def skipped(self) -> int:
        row = self._db.execute("SELECT COUNT(*) FROM matches WHERE status = 'skipped'").fetchone()
        return int(row[0])

    def results(self) -> list[GameResult]:
        """Every finished match as the ratings read it, by match id."""
        rows = self._db.execute(
            "SELECT match_id, game, first, second, score, pairing, pair FROM matches "
            "WHERE status = 'finished' ORDER BY match_id"
        ).fetchall()
        return [
            GameResult(
                match_id=r[0],
                game=r[1],
                first=r[2],
                second=r[3],
                score=float(r[4]),
                pairing=r[5],
                pair=r[6],
            )
            for r in rows
        ]

    def finished(self) -> Iterator[dict[str, Any]]:
        """Every finished match with its seats, for ``export`` (by match id)."""
        seats: dict[str, list[SeatOutcome]] = {}
        for row in self._db.execute(
            "SELECT s.* FROM seats s JOIN matches m USING (match_id) WHERE m.status = 'finished'"
        ):
            seats.setdefault(row[0], []).append(_seat(row))
        rows = self._db.execute(
            "SELECT match_id, round, game, pairing, first, second, idx, pair, seed, score, "
            "scores, turns, moves, digest, wall_s, simulated, attempts "
            "FROM matches WHERE status = 'finished' ORDER BY match_id"
        )
        for r in rows:
            yield {
                "match_id": r[0],
                "round": r[1],
                "game": r[2],
                "pairing": r[3],
                "first": r[4],
                "second": r[5],
                "index": r[6],
                "pair": r[7],
                "seed": r[8],
                "score": r[9],
                "scores": msgspec.json.decode(r[10]),
                "turns": r[11],
                "moves": msgspec.json.decode(r[12]),
                "digest": r[13],
                "wall_s": r[14],
                "simulated": bool(r[15]),
                "attempts": r[16],
                "seats": seats.get(r[0], []),
            }

    def failures(self) -> list[tuple[str, str]]:
        """The failed matches and why, by match id."""
        rows = self._db.execute(
            "SELECT match_id, COALESCE(error, '') FROM matches WHERE status = 'failed' "
            "ORDER BY match_id"
        ).fetchall()
        return [(str(a), str(b)) for a, b in rows]

    def seat_rows(self) -> list[SeatOutcome]:
        """Every seat of every finished match (latency and cost figures)."""
        return [
            _seat(row)
            for row in self._db.execute(
                "SELECT s.* FROM seats s JOIN matches m USING (match_id) "
                "WHERE m.status = 'finished' ORDER BY s.match_id, s.seat"
            )
        ]

    def calls(self, match_id: str | None = None) -> list[tuple[str, CallOutcome]]:
        """Every LLM call of the finished matches (or of one), with its match id."""
        where = "m.status = 'finished'" + (" AND c.match_id = ?" if match_id else "")
        params = (match_id,) if match_id else ()
        return [
            (row[0], CallOutcome(*row[1:]))
            for row in self._db.execute(
                f"SELECT c.* FROM calls c JOIN matches m USING (match_id) WHERE {where} "
                "ORDER BY c.match_id, c.start, c.seat, c.call",
                params,
            )
        ]

    def turn_starts(self, match_id: str) -> list[float]:
        rows = self._db.execute(
            "SELECT start FROM turns WHERE match_id = ? ORDER BY turn", (match_id,)
        ).fetchall()
        return [float(r[0]) for r in rows]

    def simulated(self) -> bool:
        """Whether the finished matches' LLM calls all came from the simulated LLM."""
        finished, simulated = self._simulated_share()
        return finished == simulated

    def _simulated_share(self) -> tuple[int, int]:
        row = self._db.execute(
            "SELECT COUNT(*), COALESCE(SUM(simulated), 0) FROM matches WHERE status = 'finished'"
        ).fetchone()
        return int(row[0]), int(row[1])

    def label(self) -> str:
        """Where the results came from, for every table: the SIMULATED LLM
        (whether in process or over HTTP: the answers say so), real
        providers, or a mix (how many matches were simulated).  Before any
        match has finished, what the config's providers say."""
        finished, simulated = self._simulated_share()
        if not finished:
            return SIM_LABEL if self.config.simulated else "real LLM provider(s)"
        if simulated == finished:
            return SIM_LABEL
        if not simulated:
            return "real LLM provider(s)"
        return f"MIXED: {simulated} of {finished} matches used the {SIM_LABEL}"


def _planned(row: Sequence[Any]) -> PlannedMatch:
    return PlannedMatch(
        match_id=row[0],
        round=row[1],
        game=row[2],
        pairing=row[3],
        first=row[4],
        second=row[5],
        index=row[6],
        pair=row[7],
        seed=row[8],
    )


def _seat(row: Sequence[Any]) -> SeatOutcome:
    return SeatOutcome(
        seat=row[1],
        participant=row[2],
        kind=row[3],
        provider=row[4],
        score=row[5],
        llm_calls=row[6],
        failed_calls=row[7],
        prompt_tokens=row[8],
        completion_tokens=row[9],
        cost_usd=row[10],
        decisions=msgspec.json.decode(row[11]),
        late=row[12],
        rejected=row[13],
    )


def _first_seat(outcome: MatchOutcome) -> str:
    """The first seat's name: seats are listed in the game's seat order."""
    return outcome.seats[0].seat if outcome.seats else ""
