"""``rafa tournament report``: the Markdown and HTML report, its figures and its errors."""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import pytest
from support import assert_one_line_error, rafa

from rafa_async import ConfigError
from rafa_async.llm import SIM_LABEL
from rafa_async.tournament import (
    CallOutcome,
    MatchOutcome,
    SeatOutcome,
    TournamentDB,
    parse_tournament,
    planned_matches,
    run_tournament,
    write_report,
)
from rafa_async.tournament._latency import (
    DecisionKey,
    by_decision,
    critical_path,
    parse_decision,
    percentiles,
)

CONFIG = """
name = "report-test"
games = ["tictactoe"]
games_per_pairing = 2
latency_scale = 0.0

[[participants]]
name = "thinker"
kind = "rafa"
provider = "PROVIDER"

[[participants]]
name = "dice"
kind = "random"
"""

MATCH = "tictactoe:dice:thinker:0"
"""The first planned match (``dice`` plays X, ``thinker`` O)."""


def call(n: int, start: float, end: float, seat: str = "O", outcome: str = "ok") -> CallOutcome:
    return CallOutcome(seat, n, "propose", outcome, start, end - start, 10, 2)


# Turn starts 0, 1, 2, 5; O (thinker) decides turn 2 from 1 to 2 with two
# calls, and turn 4 from 5 with five: A 5-6, B 5-7, C 6-8, D 7.5-9, E 8-10.
# Critical path of turn 4: E (ends last) <- C (ended at 8, latest by E's
# start) <- A (ended at 6 by C's start): A, C, E.
TURN_STARTS = [0.0, 1.0, 2.0, 5.0]
CALLS = [
    call(1, 1.0, 1.4),
    call(2, 1.1, 1.9),
    call(3, 5.0, 6.0),
    call(4, 5.0, 7.0),
    call(5, 6.0, 8.0),
    call(6, 7.5, 9.0),
    call(7, 8.0, 10.0),
]


def outcome(match_id: str, first: str, *, simulated: bool = True) -> MatchOutcome:
    """A finished tictactoe match of four turns, X and O alternating; the
    LLM seat made :data:`CALLS`."""
    x, o = ("dice", "thinker") if first == "dice" else ("thinker", "dice")
    provider = "sim" if simulated else "openai:gpt-4o"

    def seat(name: str, participant: str) -> SeatOutcome:
        llm = participant == "thinker"
        return SeatOutcome(
            seat=name,
            participant=participant,
            kind="rafa" if llm else "random",
            provider=provider if llm else "-",
            score=1.0 if llm else 0.0,
            llm_calls=len(CALLS) if llm else 0,
            prompt_tokens=10 * len(CALLS) if llm else 0,
            completion_tokens=2 * len(CALLS) if llm else 0,
            cost_usd=0.0 if simulated or not llm else 0.25,
            decisions=[1.0, 4.0] if llm else [0.001, 0.002],
        )

    llm_seat = "O" if o == "thinker" else "X"
    return MatchOutcome(
        match_id=match_id,
        status="finished",
        scores={"X": 1.0 if x == "thinker" else 0.0, "O": 1.0 if o == "thinker" else 0.0},
        turns=4,
        moves=[{"X": "1"}, {"O": "2"}, {"X": "3"}, {"O": "4"}],
        digest="d",
        wall_s=10.0,
        simulated=simulated,
        seats=[seat("X", x), seat("O", o)],
        calls=[
            CallOutcome(llm_seat, c.call, c.intent, c.outcome, c.start, c.latency, 10, 2)
            for c in CALLS
        ],
        turn_starts=TURN_STARTS,
    )


def make_db(path: Path, *, simulated: bool = True, finished: int = 1) -> Path:
    config = parse_tournament(CONFIG.replace("PROVIDER", "sim" if simulated else "openai:gpt-4o"))
    with TournamentDB.create(path, config, resume=False) as db:
        matches = planned_matches(config)
        db.plan(matches)
        for planned in matches[:finished]:
            db.write(outcome(planned.match_id, planned.first, simulated=simulated))
    return path


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return make_db(tmp_path / "results.db")


def report(
    path: Path, out: Path, decision: str | None = None, plot: bool = False
) -> tuple[str, str]:
    """The Markdown and the HTML of ``path``'s report (without plots unless
    ``plot``: drawing them is slow, and most tests read the tables)."""
    with TournamentDB.open(path) as db:
        write_report(db, out, decision=decision, plot=plot)
    return (out / "report.md").read_text(), (out / "report.html").read_text()


# -- percentiles, decisions, critical path --------------------------------------------


def test_percentiles_interpolate_between_order_statistics() -> None:
    figures = percentiles(float(v) for v in range(1000, 0, -1))
    assert figures.n == 1000
    assert figures.mean == 500.5
    assert figures.max == 1000.0
    assert figures.values == pytest.approx((500.5, 900.1, 990.01, 999.001))


def test_percentiles_of_one_value_and_of_none() -> None:
    assert percentiles([0.25]).values == (0.25,) * 4
    assert percentiles([]).values is None


def test_critical_path_walks_back_from_the_last_ending_call() -> None:
    assert [c.call for c in critical_path(CALLS[2:])] == [3, 5, 7]


def test_critical_path_of_overlapping_calls_is_the_last_one() -> None:
    assert [c.call for c in critical_path([call(1, 0, 3), call(2, 1, 4), call(3, 2, 3.5)])] == [2]


def test_critical_path_of_simultaneous_instant_calls_ends() -> None:
    path = critical_path([call(1, 1.0, 1.0), call(2, 1.0, 1.0), call(3, 0.0, 0.5)])
    assert [c.call for c in path] == [3, 1, 2]


def test_calls_belong_to_the_turn_whose_window_holds_their_start() -> None:
    calls = [("m", call(1, 0.9999995, 1.5)), ("m", call(2, 4.9, 5.5)), ("m", call(3, -0.1, 0.0))]
    decisions, outside = by_decision(calls, {"m": [0.0, 1.0, 2.0, 5.0]})
    assert {str(k): [c.call for c in v] for k, v in decisions.items()} == {
        "m:O:2": [1],
        "m:O:3": [2],
    }
    assert outside == 1


def test_parse_decision_takes_the_last_two_fields_as_seat_and_turn() -> None:
    assert parse_decision("tictactoe:a:b:0:O:4") == DecisionKey("tictactoe:a:b:0", "O", 4)
    for bad in ("O:4", "m:O:zero", "m:O:0", "m::3"):
        with pytest.raises(ConfigError, match="MATCH_ID:SEAT:TURN"):
            parse_decision(bad)


# -- the report -----------------------------------------------------------------------


def test_report_writes_markdown_html_and_plots(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    with TournamentDB.open(db_path) as db:
        files = write_report(db, out)
    names = sorted(p.name for p in files.plots)
    assert names == [
        "call_latency.png",
        "cost.png",
        "decision_latency.png",
        "ratings.png",
        "scores.png",
        "timeline.png",
    ]
    for path in files.plots:
        assert path.read_bytes().startswith(b"\x89PNG")
    md = files.markdown.read_text()
    for name in names:
        assert f"]({name})" in md
    page = files.html.read_text()
    assert page.count('src="data:image/png;base64,') == len(names)


def test_html_refers_to_nothing_outside_itself(db_path: Path, tmp_path: Path) -> None:
    _, page = report(db_path, tmp_path / "r", plot=True)
    assert re.findall(r'(?:src|href)="(?!data:)', page) == []
    assert "<script" not in page and "<link" not in page and "url(" not in page
    assert "http://" not in page and "https://" not in page


def test_latency_tables_quote_the_percentiles(db_path: Path, tmp_path: Path) -> None:
    md, _ = report(db_path, tmp_path / "r")
    # thinker's decisions are 1 s and 4 s: p50 2.5 s, p90 3.7 s
    assert "| thinker | sim (SIMULATED) | 2 | 2,500.0 | 2,500.0 | 3,700.0 |" in md
    # its seven calls: 0.4, 0.8, 1, 2, 2, 1.5, 2 s
    assert "| thinker | sim (SIMULATED) | 7 | 1,385.7 | 1,500.0 |" in md
    # cost per game: 84 tokens, 7 calls a game; dice calls no LLM
    assert "| thinker | sim (SIMULATED) | 1 | 0.0000 | 84.0 | 70.0 | 14.0 | 7.00 |" in md
    assert "| dice | - (no LLM) | 1 |" in md


def test_ratings_and_pairwise_scores(tmp_path: Path) -> None:
    md, _ = report(make_db(tmp_path / "two.db", finished=2), tmp_path / "r")
    ratings = md.split("## Ratings")[1].split("## ")[0]
    assert "| 1 | thinker | sim (SIMULATED) | 2 | 2-0-0 | 1.000 | +inf | - |" in ratings
    assert "| 2 | dice | - (no LLM) | 2 | 0-0-2 | 0.000 | -inf | - |" in ratings
    head = md.split("## Head to head")[1].split("## ")[0]
    assert "| dice vs thinker | 2 | 0-0-2 | 1 0 0 0 0 | -inf | - |" in head
    scores = md.split("## Pairwise scores")[1].split("## ")[0]
    assert "| thinker | - | 1.00 (2-0-0) |" in scores
    assert "| dice | 0.00 (0-0-2) | - |" in scores


def test_every_table_says_the_results_are_simulated(db_path: Path, tmp_path: Path) -> None:
    md, page = report(db_path, tmp_path / "r")
    sections = md.split("\n## ")[1:]
    assert sections
    for section in sections:
        assert SIM_LABEL in section, section.splitlines()[0]
    assert SIM_LABEL in page


def test_real_providers_are_not_labelled_simulated(tmp_path: Path) -> None:
    md, _ = report(make_db(tmp_path / "real.db", simulated=False), tmp_path / "r")
    assert "SIMULATED" not in md
    assert "real providers (not simulated)" in md
    assert "| thinker | openai:gpt-4o | 1 | 0.2500 |" in md


def test_timeline_shows_the_busiest_decision_and_its_critical_path(
    db_path: Path, tmp_path: Path
) -> None:
    with TournamentDB.open(db_path) as db:
        files = write_report(db, tmp_path / "r", plot=False)
    assert files.decision == DecisionKey(MATCH, "O", 4)
    md = files.markdown.read_text()
    timeline = md.split("## Decision timeline")[1]
    assert f"Decision {MATCH}:O:4 (the decision with the most LLM calls)" in timeline
    critical = re.findall(r"^\| (\d+) \|.*\| yes \|$", timeline, re.MULTILINE)
    assert critical == ["3", "5", "7"]
    assert "critical path: 3 calls, 5.000 s of LLM time" in timeline


def test_timeline_of_a_chosen_decision(db_path: Path, tmp_path: Path) -> None:
    md, _ = report(db_path, tmp_path / "r", decision=f"{MATCH}:O:2")
    timeline = md.split("## Decision timeline")[1]
    assert f"Decision {MATCH}:O:2 (chosen with --decision)" in timeline
    assert re.findall(r"^\| (\d+) \|.*\| yes \|$", timeline, re.MULTILINE) == ["2"]


@pytest.mark.parametrize(
    ("decision", "fragment"),
    [
        ("nope:O:2", "no finished match 'nope'"),
        (f"{MATCH}:X:2", "seat 'X' made no move at turn 2"),
        (f"{MATCH}:O:9", "the match has 4 turns"),
        ("O:2", "MATCH_ID:SEAT:TURN"),
    ],
)
def test_a_decision_that_was_not_made_is_an_error(
    db_path: Path, tmp_path: Path, decision: str, fragment: str
) -> None:
    with TournamentDB.open(db_path) as db, pytest.raises(ConfigError, match=re.escape(fragment)):
        write_report(db, tmp_path / "r", decision=decision)
    assert not (tmp_path / "r").exists()


def test_a_decision_without_calls_has_no_timeline(db_path: Path, tmp_path: Path) -> None:
    md, _ = report(db_path, tmp_path / "r", decision=f"{MATCH}:X:1")
    assert "It made no LLM call: no timeline to draw." in md
    assert not (tmp_path / "r" / "timeline.png").exists()


def test_without_matplotlib_the_tables_say_how_to_get_plots(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with TournamentDB.open(db_path) as db:
        files = write_report(db, tmp_path / "r")
    assert not files.plotted and files.plots == ()
    assert sorted((tmp_path / "r").iterdir()) == sorted([files.html, files.markdown])
    md = files.markdown.read_text()
    assert md.count("pip install 'rafa-async[plot]'") >= 5
    assert "![" not in md


def test_an_empty_tournament_gives_a_report_that_says_so(tmp_path: Path) -> None:
    md, page = report(make_db(tmp_path / "empty.db", finished=0), tmp_path / "r")
    assert "No finished matches yet" in md and "No finished matches yet" in page
    assert "| 2 | 0 | 0 | 0 | 0 |" in md


def test_an_unwritable_out_dir_is_an_error(db_path: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with TournamentDB.open(db_path) as db, pytest.raises(ConfigError, match="--out"):
        write_report(db, blocker / "report")


@pytest.mark.anyio
async def test_report_of_a_tournament_played_on_the_sim(tmp_path: Path) -> None:
    config = parse_tournament(CONFIG.replace("PROVIDER", "sim"))
    with TournamentDB.create(tmp_path / "t.db", config, resume=False) as db:
        await run_tournament(config, db)
        files = write_report(db, tmp_path / "r", plot=False)
        assert db.counts().finished == 2
    assert files.html.exists()
    md = files.markdown.read_text()
    assert "| thinker | sim (SIMULATED) | 2 |" in md  # cost per game
    assert f"{SIM_LABEL}, in all 2 finished matches" in md


# -- the command line ----------------------------------------------------------------


def test_cli_writes_the_report(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = rafa("tournament", "report", str(db_path), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"wrote {out / 'report.html'}" in result.stdout
    assert (out / "report.md").is_file() and (out / "timeline.png").is_file()


def test_cli_decision_option(db_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    result = rafa(
        "tournament", "report", str(db_path), "--out", str(out), "--decision", f"{MATCH}:O:2"
    )
    assert result.exit_code == 0, result.output
    assert f"Decision {MATCH}:O:2 (chosen with --decision)" in (out / "report.md").read_text()


def test_cli_without_matplotlib_says_so_on_one_stderr_line(
    db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = rafa("tournament", "report", str(db_path), "--out", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    expected = "no plots: they need matplotlib (pip install 'rafa-async[plot]')"
    assert result.stderr.strip() == expected


def test_cli_reports_an_empty_tournament(tmp_path: Path) -> None:
    db = make_db(tmp_path / "empty.db", finished=0)
    result = rafa("tournament", "report", str(db), "--out", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    assert "No finished matches yet" in (tmp_path / "r" / "report.md").read_text()


def test_cli_errors(db_path: Path, tmp_path: Path) -> None:
    out = str(tmp_path / "r")
    missing = tmp_path / "missing.db"
    assert_one_line_error(
        rafa("tournament", "report", str(missing), "--out", out), str(missing), "no such"
    )
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    assert_one_line_error(
        rafa("tournament", "report", str(other), "--out", out), "not a rafa tournament database"
    )
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all, just some text that is long enough\n" * 20)
    assert_one_line_error(rafa("tournament", "report", str(text), "--out", out), str(text))
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert_one_line_error(
        rafa("tournament", "report", str(db_path), "--out", str(blocker / "r")),
        "--out",
        "cannot write",
    )
    assert_one_line_error(
        rafa("tournament", "report", str(db_path), "--out", out, "--decision", f"{MATCH}:X:2"),
        "--decision",
        "seat 'X' made no move at turn 2",
    )
    assert_one_line_error(
        rafa("tournament", "report", str(db_path), "--out", out, "--decision", "x:SEAT:y"),
        "--decision 'x:SEAT:y': expected MATCH_ID:SEAT:TURN",
    )
