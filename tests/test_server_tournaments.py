"""``TournamentManager``: tournaments inside the server's loop, anyio-only,
so on trio and asyncio, under virtual time."""

from __future__ import annotations

from pathlib import Path

import anyio
import msgspec
import pytest
from support import TINY_TOURNAMENT

from rafa_async import ConfigError
from rafa_async.server import TournamentLimitReached, TournamentManager, UnknownTournament
from rafa_async.tournament import TournamentDB

pytestmark = pytest.mark.anyio

TINY = TINY_TOURNAMENT
SLOW = TINY.replace("latency_scale = 0.0", "latency_scale = 100.0")


async def test_a_tournament_runs_to_the_end_with_its_standings(tmp_path: Path) -> None:
    async with TournamentManager(data_dir=tmp_path) as tournaments:
        tournament_id = tournaments.start(TINY)
        running = tournaments.get(tournament_id)
        view = await tournaments.wait(tournament_id)
        listed = tournaments.list()

    assert running.status == "running"
    assert view.status == "finished"
    assert view.simulated is True
    assert view.label.startswith("SIMULATED")
    assert (view.counts.planned, view.counts.finished, view.counts.failed) == (6, 6, 0)
    assert view.counts.running == 0
    assert view.eta_s is None
    assert view.llm_calls_per_s > 0  # the direct player calls the sim
    assert view.standings[0].participant == "perfect"
    assert sum(row.games for row in view.standings) == 12
    assert sum(row.points for row in view.standings) == 6
    assert all(row.mu is not None and row.sigma is not None for row in view.standings)
    assert all(row.score is not None for row in view.standings)
    assert [t.id for t in listed] == [tournament_id]
    with TournamentDB.open(tmp_path / f"{tournament_id}.sqlite") as db:
        assert db.counts().finished == 6  # its database stays in data_dir


async def test_before_any_game_ends_the_standings_list_everyone_unrated() -> None:
    async with TournamentManager() as tournaments:
        view = tournaments.get(tournaments.start(SLOW))

    assert [row.participant for row in view.standings] == ["direct", "perfect", "random"]
    assert all(row.games == 0 and row.elo is None and row.mu is None for row in view.standings)


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (TINY.replace('kind = "random"', 'kind = "grandmaster"'), ["tournament.toml:", "kind"]),
        (
            TINY.replace("concurrency = 4", 'concurrency = "many"'),
            ["tournament.toml:4", "concurrency"],
        ),
        ("games = [", ["not valid TOML"]),
        (
            TINY.replace('kind = "direct"', 'kind = "direct"\nprovider = "openai:gpt-4o-mini"'),
            ["simulated LLM only", "openai:gpt-4o-mini"],
        ),
    ],
)
async def test_a_bad_config_is_a_config_error_on_the_config_field(
    text: str, fragments: list[str]
) -> None:
    async with TournamentManager() as tournaments:
        with pytest.raises(ConfigError) as raised:
            tournaments.start(text)
        assert tournaments.list() == []

    assert raised.value.fields == ("config",)
    for fragment in fragments:
        assert fragment in str(raised.value)


async def test_cancel_stops_it_and_leaves_the_matches_in_flight_resumable(tmp_path: Path) -> None:
    async with TournamentManager(data_dir=tmp_path) as tournaments:
        tournament_id = tournaments.start(SLOW)
        await anyio.sleep(1)  # its matches are under way, waiting on the slow sim
        tournaments.cancel(tournament_id)
        view = await tournaments.wait(tournament_id)

    assert view.status == "cancelled"
    assert view.counts.finished < view.counts.planned
    with TournamentDB.open(tmp_path / f"{tournament_id}.sqlite") as db:
        assert db.counts().running > 0  # what `rafa tournament run --resume` plays again


async def test_the_limit_on_running_tournaments_is_a_specific_error() -> None:
    async with TournamentManager(max_tournaments=1) as tournaments:
        first = tournaments.start(SLOW)
        with pytest.raises(TournamentLimitReached, match="1 tournaments"):
            tournaments.start(SLOW)
        tournaments.cancel(first)
        await tournaments.wait(first)
        again = tournaments.start(TINY)  # room again once it is over
        assert tournaments.get(again).status == "running"
        with pytest.raises(UnknownTournament, match="nope"):
            tournaments.get("nope")


async def test_closing_cancels_every_tournament_and_removes_its_temporary_dir() -> None:
    async with TournamentManager() as tournaments:
        ids = [tournaments.start(SLOW) for _ in range(2)]
        data_dir = tournaments.data_dir
        assert data_dir is not None and data_dir.is_dir()

    assert [tournaments.get(i).status for i in ids] == ["cancelled"] * 2
    assert not data_dir.exists()
    with pytest.raises(RuntimeError, match="not running"):
        tournaments.start(TINY)


async def test_beyond_its_history_the_oldest_finished_tournament_is_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[Path] = []
    close = TournamentDB.close

    def recording_close(db: TournamentDB) -> None:
        closed.append(db.path)
        close(db)

    monkeypatch.setattr(TournamentDB, "close", recording_close)
    async with TournamentManager(data_dir=tmp_path, history=1) as tournaments:
        first = tournaments.start(TINY)
        await tournaments.wait(first)
        second = tournaments.start(SLOW)
        with pytest.raises(UnknownTournament, match=first):
            tournaments.get(first)
        closed_then = list(closed)
        third = tournaments.start(SLOW)  # the second is running: it stays
        listed = [t.id for t in tournaments.list()]

    assert closed_then == [tmp_path / f"{first}.sqlite"]  # forgotten: its database closed
    assert listed == [second, third]
    with TournamentDB.open(tmp_path / f"{first}.sqlite") as db:  # and kept in data_dir
        assert db.counts().finished == 6


async def test_counts_are_by_status_and_the_matches_summed_over_those_remembered() -> None:
    async with TournamentManager() as tournaments:
        empty = msgspec.structs.asdict(tournaments.match_counts())
        for _ in range(2):
            await tournaments.wait(tournaments.start(TINY))
        running = tournaments.start(SLOW)
        await anyio.sleep(1)  # under way: the direct player's matches wait on the slow sim
        counts = tournaments.counts()
        matches = msgspec.structs.asdict(tournaments.match_counts())
        slow = msgspec.structs.asdict(tournaments.get(running).counts)

    assert empty == {"planned": 0, "finished": 0, "failed": 0, "running": 0, "skipped": 0}
    assert counts == {"running": 1, "finished": 2, "cancelled": 0, "failed": 0}
    assert slow["planned"] == 6 and slow["running"] > 0
    done = {"planned": 12, "finished": 12, "failed": 0, "running": 0, "skipped": 0}
    assert matches == {state: done[state] + slow[state] for state in done}
