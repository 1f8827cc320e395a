"""Tournaments: config, pairings, the runner and its database, the CLI."""

from __future__ import annotations

import itertools
import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import msgspec
import pytest
from support import TINY_TOURNAMENT, assert_one_line_error, closed_port, rafa

from rafa_async import ConfigError
from rafa_async.tournament import (
    GameResult,
    Progress,
    TournamentConfig,
    TournamentDB,
    gauntlet,
    load_tournament,
    parse_tournament,
    round_robin,
    run_tournament,
    standings,
    swiss_pairs,
    swiss_round,
)

TINY = TINY_TOURNAMENT


def config(text: str = TINY, **top: Any) -> TournamentConfig:
    """``text`` with the top-level keys ``top`` set (before any table)."""
    head = "".join(f"{k} = {json.dumps(v)}\n" for k, v in top.items())
    lines = [line for line in text.splitlines() if line.split("=")[0].strip() not in top]
    return parse_tournament(head + "\n".join(lines) + "\n")


def participants(n: int) -> str:
    """TINY's settings with ``n`` random players, ``p0`` ...: a field of any size."""
    head = TINY.split("[[participants]]")[0]
    return head + "".join(f'[[participants]]\nname = "p{i}"\nkind = "random"\n' for i in range(n))


# -- config ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (('kind = "perfect"', 'kind = "perfekt"'), ["tournament.toml:13:", "participants[1].kind"]),
        (("concurrency = 4", 'concurrency = "x"'), ["tournament.toml:4:", "concurrency", "int"]),
        (('name = "random"', 'name = "random"\nthink = 3'), ["tournament.toml:17:", "think"]),
        (('name = "random"', 'name = "direct"'), [":16:", "two participants are named"]),
        (('games = ["tictactoe"]', 'games = ["chess"]'), [":2:", "unknown game 'chess'"]),
        (('games = ["tictactoe"]', 'games = ["gridworld"]'), [":2:", "two-seat games"]),
        (("games_per_pairing = 2", "games_per_pairing = 0"), [":3:", "games_per_pairing"]),
        (('name = "tiny"', 'name = "tiny"\nformat = "ladder"'), [":2:", "format"]),
        (('name = "tiny"', 'name = "tiny"\nformat = "gauntlet"'), [":2:", "anchor"]),
        (('name = "tiny"', 'anchor = "nobody"\nformat = "gauntlet"'), [":1:", "not a participant"]),
        (('name = "tiny"', 'name = "tiny"\nrounds = 3'), [":2:", "rounds: is for the swiss"]),
        (('name = "direct"', 'name = "a:b"'), [":8:", "participants[0].name"]),
        (('name = "tiny"', "name = "), ["not valid TOML", "line 1"]),
    ],
)
def test_config_errors_name_the_key_and_its_line(
    change: tuple[str, str], fragments: list[str]
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_tournament(TINY.replace(*change, 1))
    for fragment in fragments:
        assert fragment in str(caught.value)


def test_config_errors_in_a_table_name_its_line() -> None:
    text = TINY + "\n[limits]\nmax_concurrency = 0\n"
    with pytest.raises(ConfigError, match=r"tournament.toml:20: limits.max_concurrency"):
        parse_tournament(text)
    with pytest.raises(ConfigError, match=r":20: limits.*unknown field `rmp`"):
        parse_tournament(TINY + "\n[limits]\nrmp = 10\n")


def test_a_kind_must_be_a_seat_kind_of_every_game() -> None:
    # "perfect" is a tic-tac-toe policy; Connect Four has none by that name.
    with pytest.raises(
        ConfigError, match=r"participants\[1\].kind: unknown kind 'perfect' for connect4"
    ):
        config(games=["tictactoe", "connect4"])


# -- pairings ----------------------------------------------------------------------------


def test_round_robin_plays_every_pair_in_colour_swapped_pairs() -> None:
    cfg = config(participants(5), games=["tictactoe", "connect4"], games_per_pairing=4)
    matches = round_robin(cfg)
    assert len(matches) == 10 * 2 * 4
    assert len({m.match_id for m in matches}) == len(matches)
    names = [p.name for p in cfg.participants]
    for a, b in itertools.combinations(names, 2):
        for game in cfg.games:
            games = [m for m in matches if {m.first, m.second} == {a, b} and m.game == game]
            assert Counter(m.first for m in games) == {a: 2, b: 2}
            for pair in (0, 1):  # each pair: one seed, seats swapped
                both = [m for m in games if m.pair == pair]
                assert len(both) == 2
                assert both[0].seed == both[1].seed
                assert (both[0].first, both[0].second) == (both[1].second, both[1].first)


def test_an_odd_game_count_leaves_the_last_game_unpaired() -> None:
    matches = round_robin(config(games_per_pairing=3))
    assert Counter(m.pair for m in matches) == {0: 6, None: 3}


def test_plans_are_stable_across_runs() -> None:
    assert round_robin(config()) == round_robin(config())
    assert round_robin(config(seed=1)) != round_robin(config())


def test_a_gauntlet_plays_only_against_the_anchor() -> None:
    cfg = config(participants(4), format="gauntlet", anchor="p2")
    matches = gauntlet(cfg)
    assert all("p2" in (m.first, m.second) for m in matches)
    opponents = {m.first if m.second == "p2" else m.second for m in matches}
    assert opponents == {"p0", "p1", "p3"}
    assert len(matches) == 3 * 2


def test_swiss_pairs_equal_scores_and_avoids_rematches() -> None:
    names = ["a", "b", "c", "d"]
    pairs, bye = swiss_pairs(names, {"a": 2, "b": 2, "c": 0, "d": 0}, met=[("a", "b"), ("c", "d")])
    assert bye is None
    # a and b lead but have met: each plays the best it has not met.
    assert sorted(map(sorted, pairs)) == [["a", "c"], ["b", "d"]]


def test_swiss_rematches_only_when_unavoidable() -> None:
    names = ["a", "b"]
    pairs, _ = swiss_pairs(names, {}, met=[("a", "b")])
    assert pairs == [("a", "b")]


def test_swiss_gives_an_odd_field_one_bye() -> None:
    pairs, bye = swiss_pairs(["a", "b", "c"], {"a": 1, "b": 0.5, "c": 0}, met=[])
    assert bye == "c"
    assert pairs == [("a", "b")]


def test_swiss_over_every_round_has_no_avoidable_rematch() -> None:
    # Six players, three rounds: a rematch-free schedule exists whatever the results.
    cfg = config(participants(6), format="swiss", rounds=3)
    met: list[tuple[str, str]] = []
    points: Counter[str] = Counter()
    for round in (1, 2, 3):
        matches, bye = swiss_round(cfg, round, points, met)
        assert bye is None
        pairs = {(m.first, m.second) for m in matches if m.index == 0}
        assert not {frozenset(p) for p in pairs} & {frozenset(p) for p in met}
        met += pairs
        for a, b in pairs:  # the lower name wins: scores diverge
            points[min(a, b)] += 1
        assert all(m.match_id.startswith(f"r{round}:") for m in matches)


# -- the runner ----------------------------------------------------------------------------


async def play(cfg: TournamentConfig, path: Path, *, resume: bool = False) -> Progress:
    with TournamentDB.create(path, cfg, resume=resume) as db:
        return await run_tournament(cfg, db)


def rows(path: Path) -> dict[str, tuple[Any, ...]]:
    with sqlite3.connect(path) as db:
        return {
            r[0]: r[1:]
            for r in db.execute("SELECT match_id, status, score, digest, turns FROM matches")
        }


@pytest.mark.anyio
async def test_a_tournament_plays_and_writes_every_match_once(
    anyio_backend: Any, tmp_path: Path
) -> None:
    cfg = config()
    progress = await play(cfg, tmp_path / "t.db")
    table = rows(tmp_path / "t.db")
    assert sorted(table) == sorted(m.match_id for m in round_robin(cfg))
    assert {status for status, *_ in table.values()} == {"finished"}
    assert progress.finished == 6 and progress.failed == 0
    with TournamentDB.open(tmp_path / "t.db") as db:
        assert msgspec.structs.asdict(db.counts()) == {
            "planned": 6,
            "finished": 6,
            "failed": 0,
            "running": 0,
        }
        seats = db.seat_rows()
        direct = [s for s in seats if s.participant == "direct"]
        assert direct and all(s.llm_calls > 0 and s.provider == "sim" for s in direct)
        assert all(len(s.decisions) > 0 for s in seats)
        assert all(s.llm_calls == 0 and s.provider == "-" for s in seats if s.kind != "direct")
        calls = db.calls()
        assert len(calls) == sum(s.llm_calls for s in seats)
        assert db.simulated()
    # perfect never loses at tic-tac-toe.
    assert progress.points["perfect"] >= progress.games["perfect"] / 2


@pytest.mark.anyio
async def test_results_do_not_depend_on_concurrency(anyio_backend: Any, tmp_path: Path) -> None:
    await play(config(concurrency=1), tmp_path / "one.db")
    await play(config(concurrency=6), tmp_path / "six.db")
    assert rows(tmp_path / "one.db") == rows(tmp_path / "six.db")


@pytest.mark.anyio
async def test_matches_of_one_pairing_are_sampled_independently(
    anyio_backend: Any, tmp_path: Path
) -> None:
    # direct against direct, four games: two pairs with their own seeds.  The
    # sim samples each match with its seed, so the pairs differ.
    text = TINY.replace('name = "perfect"\nkind = "perfect"', 'name = "direct2"\nkind = "direct"')
    cfg = config(text, games_per_pairing=4)
    await play(cfg, tmp_path / "t.db")
    digests = {
        match_id: digest
        for match_id, (_, _, digest, _) in rows(tmp_path / "t.db").items()
        if match_id.startswith("tictactoe:direct:direct2:")
    }
    assert len(set(digests.values())) == 4


@pytest.mark.anyio
async def test_resume_replays_the_matches_a_crash_left_running(
    anyio_backend: Any, tmp_path: Path
) -> None:
    cfg = config()
    await play(cfg, tmp_path / "whole.db")
    path = tmp_path / "crashed.db"
    await play(cfg, path)
    # What a kill -9 leaves: two matches started and not written.
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE matches SET status = 'running', score = NULL WHERE match_id IN "
            "(SELECT match_id FROM matches ORDER BY match_id LIMIT 2)"
        )
        db.execute(
            "DELETE FROM seats WHERE match_id IN (SELECT match_id FROM matches "
            "WHERE status = 'running')"
        )
    progress = await play(cfg, path, resume=True)
    assert progress.played == 2
    assert rows(path) == rows(tmp_path / "whole.db")


def test_a_database_is_taken_only_with_resume_and_the_same_config(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    TournamentDB.create(path, config(), resume=False).close()
    with pytest.raises(ConfigError, match="add --resume"):
        TournamentDB.create(path, config(), resume=False)
    with pytest.raises(ConfigError, match="made by another tournament config"):
        TournamentDB.create(path, config(seed=3), resume=True)
    TournamentDB.create(path, config(), resume=True).close()
    (tmp_path / "junk.db").write_text("not sqlite at all, not at all, no")
    with pytest.raises(ConfigError, match="not a usable SQLite database"):
        TournamentDB.open(tmp_path / "junk.db")


# -- the CLI -------------------------------------------------------------------------------


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    path = tmp_path / "tournament.toml"
    path.write_text(TINY)
    return path


def test_cli_runs_a_tournament_and_reports_its_state(tiny: Path, tmp_path: Path) -> None:
    db = tmp_path / "results.db"
    result = rafa("tournament", "run", str(tiny), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "6 of 6 matches finished" in result.stdout
    assert "SIMULATED" in result.stdout
    status = rafa("tournament", "status", str(db), "--json")
    assert json.loads(status.stdout) == {"planned": 6, "finished": 6, "failed": 0, "running": 0}
    export = rafa("tournament", "export", str(db), "--format", "jsonl")
    lines = [json.loads(line) for line in export.stdout.splitlines()]
    assert sorted(line["match_id"] for line in lines) == sorted(rows(db))
    first = lines[0]
    assert set(first) >= {"match_id", "pairing", "seats", "result", "moves", "per_seat", "scores"}
    assert first["result"] in ("first", "second", "draw")
    assert all(set(s) >= {"llm_calls", "cost_usd"} for s in first["per_seat"].values())
    # The export is stable: the same lines again.
    assert rafa("tournament", "export", str(db)).stdout == export.stdout


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["run", "{missing}", "--db", "{db}"], ["no such tournament config"]),
        (["status", "{missing}"], ["no such tournament database"]),
        (["export", "{tiny}"], ["not a usable SQLite database"]),
        (["export", "{db}", "--format", "csv"], ["'csv' is not one of 'jsonl'"]),
        (["run", "{tiny}", "--db", "{missing}/r.db"], ["cannot create", "no such folder"]),
    ],
)
def test_cli_errors_are_one_line(
    tiny: Path, tmp_path: Path, args: list[str], fragments: list[str]
) -> None:
    where = {"missing": tmp_path / "nope.toml", "db": tmp_path / "r.db", "tiny": tiny}
    result = rafa("tournament", *(a.format(**where) for a in args))
    assert_one_line_error(result, *fragments)


def test_cli_refuses_an_existing_database_without_resume(tiny: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    assert rafa("tournament", "run", str(tiny), "--db", str(db)).exit_code == 0
    assert_one_line_error(rafa("tournament", "run", str(tiny), "--db", str(db)), "--resume")
    again = rafa("tournament", "run", str(tiny), "--db", str(db), "--resume")
    assert again.exit_code == 0
    assert "6 of 6 matches finished" in again.stdout


def test_cli_retry_failed_takes_the_options_run_takes(tiny: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    assert rafa("tournament", "run", str(tiny), "--db", str(db), "--no-live").exit_code == 0
    play = ("--backend", "asyncio", "--executor", "local", "--no-live", "--log-format", "json")
    again = rafa("tournament", "retry-failed", str(db), *play, "--log-level", "error")
    assert again.exit_code == 0, again.output
    assert "retrying 0 failed matches" in again.stderr
    assert "6 of 6 matches finished" in again.stdout
    result = rafa("tournament", "retry-failed", str(db), "--ray-address", "auto")
    assert_one_line_error(result, "--ray-address needs --executor ray")


def test_cli_names_the_line_of_a_bad_config(tiny: Path, tmp_path: Path) -> None:
    tiny.write_text(TINY.replace("concurrency = 4", "concurrency = -1"))
    result = rafa("tournament", "run", str(tiny), "--db", str(tmp_path / "r.db"))
    assert_one_line_error(result, f"{tiny}:4: concurrency: must be >= 1")
    assert not (tmp_path / "r.db").exists()


# -- failures and crashes ------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_match_whose_provider_is_down_is_stored_as_failed_and_retried(
    anyio_backend: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOWN_KEY", "sk-test")
    providers = tmp_path / "rafa.toml"
    providers.write_text(
        f'[providers.down]\nkind = "openai"\nbase_url = "http://127.0.0.1:{closed_port()}/v1"\n'
        'api_key_env = "DOWN_KEY"\n'
    )
    text = TINY.replace('kind = "direct"', 'kind = "direct"\nprovider = "down:gpt-test"')
    text += f'\n[limits]\nconfig = "{providers}"\n'
    cfg = parse_tournament(text)
    path = tmp_path / "t.db"
    progress = await play(cfg, path)
    assert progress.failed == 4  # direct's matches; perfect against random still count
    assert progress.finished == 2
    with TournamentDB.open(path) as db:
        failures = db.failures()
        assert len(failures) == 4
        assert all("could not connect" in error for _, error in failures)
        assert db.counts().failed == 4
        assert db.requeue("failed") == 4
        again = await run_tournament(cfg, db)
        assert again.played == 4 and again.failed == 4  # still down: failed again
        assert len(db.failures()) == 4
    with sqlite3.connect(path) as raw:
        attempts = dict(raw.execute("SELECT match_id, attempts FROM matches").fetchall())
    assert sorted(Counter(attempts.values()).items()) == [(1, 2), (2, 4)]


def rafa_process(*args: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from rafa_async.cli import main; main()", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finished(path: Path) -> int:
    try:
        with sqlite3.connect(path, timeout=5.0) as db:
            return int(
                db.execute("SELECT COUNT(*) FROM matches WHERE status = 'finished'").fetchone()[0]
            )
    except sqlite3.OperationalError:  # not made yet
        return 0


def run_and_kill_9(config_file: Path, path: Path, *, after: int) -> None:
    """``rafa tournament run`` in a process, SIGKILLed once ``after`` matches are written."""
    runner = rafa_process("tournament", "run", str(config_file), "--db", str(path), "--no-live")
    deadline = time.monotonic() + 60
    while finished(path) < after and runner.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.send_signal(signal.SIGKILL)
    runner.communicate()
    assert runner.returncode == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.anyio
async def test_kill_9_then_resume_loses_and_duplicates_nothing(
    anyio_backend: Any, tmp_path: Path
) -> None:
    # Real sim latency in the killed process, so it dies with matches in flight.
    text = (
        TINY.replace("latency_scale = 0.0", "latency_scale = 0.3")
        .replace("games_per_pairing = 2", "games_per_pairing = 4")
        .replace("concurrency = 4", "concurrency = 2")
        # A deadline never reached: the digests must not read the clock.
        .replace('kind = "direct"', 'kind = "direct"\nmove_timeout = 60')
    )
    (tmp_path / "t.toml").write_text(text)
    cfg = parse_tournament(text)
    path = tmp_path / "killed.db"
    await anyio.to_thread.run_sync(partial(run_and_kill_9, tmp_path / "t.toml", path, after=3))
    with sqlite3.connect(path) as db:
        states = Counter(s for (s,) in db.execute("SELECT status FROM matches"))
    assert states["finished"] >= 3 and states["running"] >= 1  # killed mid-tournament
    await play(cfg, path, resume=True)
    await play(cfg, tmp_path / "whole.db")
    # Every planned match exactly once, with the results of a run never killed.
    assert rows(path) == rows(tmp_path / "whole.db")
    with sqlite3.connect(path) as db:
        seats = db.execute("SELECT match_id, COUNT(*) FROM seats GROUP BY match_id").fetchall()
    assert sorted(seats) == sorted((m, 2) for m in rows(path))


# -- SPRT and ratings ----------------------------------------------------------------------

SPRT = """\
name = "sprt"
games = ["tictactoe"]
games_per_pairing = 20
concurrency = 1
latency_scale = 0.0

[sprt]
elo0 = -100
elo1 = 100

[[participants]]
name = "perfect"
kind = "perfect"

[[participants]]
name = "random"
kind = "random"

[[participants]]
name = "random2"
kind = "random"
"""


@pytest.mark.anyio
async def test_sprt_stops_a_decided_pairing_and_not_an_undecided_one(
    anyio_backend: Any, tmp_path: Path
) -> None:
    cfg = parse_tournament(SPRT)
    progress = await play(cfg, tmp_path / "t.db")
    # perfect never loses to random: H1 (perfect is >= 100 Elo stronger) early.
    assert progress.decided == {"perfect vs random": "H1", "perfect vs random2": "H1"}
    table = rows(tmp_path / "t.db")
    for pairing in ("perfect:random:", "perfect:random2:"):
        states = Counter(s for m, (s, *_) in table.items() if m.startswith(f"tictactoe:{pairing}"))
        assert states["skipped"] > 0 and states["finished"] < 20
        assert states["finished"] + states["skipped"] == 20
    # Two random players are even: -100 and +100 Elo are equally far, so 20
    # games decide nothing and every one is played.
    evens = [s for m, (s, *_) in table.items() if m.startswith("tictactoe:random:random2:")]
    assert evens == ["finished"] * 20
    with TournamentDB.open(tmp_path / "t.db") as db:
        counts = db.counts()
        assert counts.planned == counts.finished == 60 - db.skipped()


@pytest.mark.anyio
async def test_a_resumed_tournament_keeps_its_sprt_decisions(
    anyio_backend: Any, tmp_path: Path
) -> None:
    cfg = parse_tournament(SPRT)
    whole = await play(cfg, tmp_path / "t.db")
    again = await play(cfg, tmp_path / "t.db", resume=True)
    assert again.decided == whole.decided
    assert again.played == 0


@pytest.mark.anyio
async def test_ratings_order_a_strong_seat_above_random(anyio_backend: Any, tmp_path: Path) -> None:
    # On the sim, RAFA against random, 20 tic-tac-toe games.
    text = TINY.replace('name = "perfect"\nkind = "perfect"\n\n[[participants]]\n', "")
    text = text.replace('name = "direct"\nkind = "direct"', 'name = "rafa"\nkind = "rafa"')
    cfg = config(text, games_per_pairing=20)
    await play(cfg, tmp_path / "t.db")
    with TournamentDB.open(tmp_path / "t.db") as db:
        table = standings(db.results())
    assert [row.name for row in table.rows] == ["rafa", "random"]
    rafa_row, random = table.rows
    assert rafa_row.games == random.games == 20
    assert rafa_row.ordinal > random.ordinal
    lower = rafa_row.elo.lower
    assert lower is not None and lower > 0  # the 95% interval excludes "no stronger"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_ctrl_c_stops_at_once_with_one_line_and_the_database_resumes(
    tmp_path: Path, backend: str
) -> None:
    text = TINY.replace("latency_scale = 0.0", "latency_scale = 0.3").replace(
        "games_per_pairing = 2", "games_per_pairing = 4"
    )
    (tmp_path / "t.toml").write_text(text)
    path = tmp_path / "t.db"
    process = subprocess.Popen(
        [sys.executable, "-c", "from rafa_async.cli import main; main()", "tournament", "run",
         str(tmp_path / "t.toml"), "--db", str(path), "--backend", backend, "--no-live"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while finished(path) < 1 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    stdout, stderr = process.communicate(timeout=60.0)
    assert time.monotonic() - sent < 10.0
    assert process.returncode == 130
    done = finished(path)
    assert stderr.splitlines() == [
        f"interrupted: {done} of 12 matches done, results in {path} "
        f"(go on with: rafa tournament run CONFIG --db {path} --resume)"
    ]
    assert stdout == ""
    resumed = rafa("tournament", "run", str(tmp_path / "t.toml"), "--db", str(path), "--resume")
    assert resumed.exit_code == 0
    assert "12 of 12 matches finished" in resumed.stdout


def test_the_example_config_is_a_valid_tournament() -> None:
    example = load_tournament(Path(__file__).parent.parent / "tournament.example.toml")
    assert len(round_robin(example)) == 6 * 2 * 4
    assert example.simulated


def test_force_replaces_a_tournament_database_and_nothing_else(tiny: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    assert rafa("tournament", "run", str(tiny), "--db", str(db)).exit_code == 0
    again = rafa("tournament", "run", str(tiny), "--db", str(db), "--force")
    assert again.exit_code == 0
    assert "6 of 6 matches finished" in again.stdout
    with sqlite3.connect(db) as raw:  # a new tournament: every match played once
        assert raw.execute("SELECT MAX(attempts) FROM matches").fetchone() == (1,)
    assert_one_line_error(
        rafa("tournament", "run", str(tiny), "--db", str(tiny), "--force"),
        "not a usable SQLite database",
    )
    assert tiny.exists()
    assert_one_line_error(
        rafa("tournament", "run", str(tiny), "--db", str(db), "--force", "--resume"),
        "exclude each other",
    )


def test_the_live_display_shows_progress_pace_and_standings() -> None:
    from rich.console import Console

    from rafa_async.cli._tournament import live_view

    progress = Progress(planned=10, finished=3, failed=1, running=2, skipped=1, played=4)
    progress.llm_calls = 120
    progress.started -= 2.0  # two seconds in
    for result in (("perfect", "random", 1.0), ("perfect", "direct", 0.5)):
        first, second, score = result
        progress.count(
            GameResult(
                match_id=f"tictactoe:{first}:{second}:0",
                game="tictactoe",
                first=first,
                second=second,
                score=score,
                pairing=" vs ".join(sorted((first, second))),
            )
        )
    console = Console(record=True, width=160)
    console.print(live_view(config(), progress))
    text = console.export_text()
    for fragment in (
        "done 4/10",
        "running 2",
        "failed 1",
        "skipped 1",
        "ETA 3 s",
        "providers: sim",
    ):
        assert fragment in text
    assert re.search(r"LLM calls/s (59|60)\.\d", text)  # 120 calls in about 2 s
    standings_rows = [
        line.split("│")[1].strip() for line in text.splitlines() if line.count("│") > 3
    ]
    assert standings_rows[:3] == ["perfect", "direct", "random"]


@pytest.mark.anyio
async def test_calls_are_timed_on_the_match_clock_inside_their_match(
    anyio_backend: Any, tmp_path: Path
) -> None:
    # The sim's latency on the virtual clock: every call starts after its
    # match's first turn and ends before the match does.
    cfg = config(latency_scale=1.0)
    await play(cfg, tmp_path / "t.db")
    with TournamentDB.open(tmp_path / "t.db") as db:
        walls = {row["match_id"]: row["wall_s"] for row in db.finished()}
        calls = db.calls()
        assert calls
        for match_id, call in calls:
            first_turn = db.turn_starts(match_id)[0]
            assert first_turn <= call.start
            assert call.start + call.latency <= walls[match_id] + 1e-6
            if call.outcome == "ok":
                assert call.latency >= 0.2  # the sim's latency, not the CPU's


def test_swiss_gives_the_bye_to_someone_who_has_not_had_one() -> None:
    # c is last, but has had a bye: b (next lowest, none yet) gets this one.
    pairs, bye = swiss_pairs(["a", "b", "c"], {"a": 2, "b": 1, "c": 0}, met=[], byes=["c"])
    assert bye == "b"
    assert pairs == [("a", "c")]


@pytest.mark.anyio
async def test_a_swiss_tournament_plays_its_rounds_with_byes_in_turn(
    anyio_backend: Any, tmp_path: Path
) -> None:
    cfg = config(format="swiss", rounds=3)  # three players: one bye a round
    progress = await play(cfg, tmp_path / "t.db")
    with TournamentDB.open(tmp_path / "t.db") as db:
        byes = db.byes()
        matches = db.matches()
    assert sorted(byes) == [1, 2, 3]
    assert sorted(byes.values()) == ["direct", "perfect", "random"]  # each sat out once
    pairings = [{m.first, m.second} for m in matches if m.index == 0]
    assert len(pairings) == 3 and all(pairings.count(p) == 1 for p in pairings)  # no rematch
    assert [m.round for m in matches] == [1, 1, 2, 2, 3, 3]
    assert progress.finished == 6
