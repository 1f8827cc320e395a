"""Series of matches (``rafa play``): training, evaluation, logs and exact replays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
from typer.testing import CliRunner

from rafa_async import ConfigError, JsonlSink, ListSink, MatchTransition, ProviderUnavailable
from rafa_async.agents import Memory
from rafa_async.app import (
    MatchRecord,
    PlayConfig,
    play_match,
    play_series,
    read_match_log,
    replay_log,
    seat_kinds,
    uses_llm,
)
from rafa_async.cli import app
from rafa_async.llm import FaultModel, LatencyModel, MiddlewareStack, SimLLM
from rafa_async.scenarios import GAMES, get_game, simulated_llm
from rafa_async.testing import backend_options

INSTANT = LatencyModel(scale=0.0)


def config(**overrides: Any) -> PlayConfig:
    values: dict[str, Any] = {
        "game": "tictactoe",
        "seats": {"X": "rafa", "O": "random"},
        "episodes": 4,
        "train": 2,
        "latency": INSTANT,
    }
    values.update(overrides)
    return PlayConfig(**values)


def moves(events: list[Any]) -> dict[str, list[dict[str, str]]]:
    by_match: dict[str, list[dict[str, str]]] = {}
    for event in events:
        if isinstance(event, MatchTransition):
            by_match.setdefault(event.match, []).append(event.actions)
    return by_match


@pytest.mark.anyio
async def test_series_plays_training_then_evaluation_matches(anyio_backend: Any) -> None:
    records, summary = await play_series(config())
    assert [r.phase for r in records] == ["train", "train", "eval", "eval", "eval", "eval"]
    assert all(sum(r.scores.values()) == 1.0 for r in records)
    assert (summary.training_matches, summary.evaluation_matches) == (2, 4)
    assert all(s.wins + s.draws + s.losses == 4 for s in summary.seats)
    assert all(r.simulated for r in records)


@pytest.mark.anyio
async def test_training_matches_never_count_as_evaluation(anyio_backend: Any) -> None:
    _, summary = await play_series(config(episodes=0, train=2))
    assert (summary.training_matches, summary.evaluation_matches) == (2, 0)
    assert [(s.wins, s.draws, s.losses, s.mean_score) for s in summary.seats] == [
        (0, 0, 0, None),
        (0, 0, 0, None),
    ]


@pytest.mark.anyio
async def test_llm_calls_are_counted_per_match(anyio_backend: Any) -> None:
    records, summary = await play_series(config(seats={"X": "rafa", "O": "direct"}))
    assert all(r.llm_calls > 0 for r in records)
    assert summary.llm_calls == sum(r.llm_calls for r in records)


@pytest.mark.anyio
async def test_policy_only_series_makes_no_llm_calls(anyio_backend: Any) -> None:
    records, _ = await play_series(config(seats={"X": "perfect", "O": "perfect"}))
    assert all(r.llm_calls == 0 for r in records)
    assert all(r.scores == {"X": 0.5, "O": 0.5} for r in records)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("game", "kind"),
    [(game, kind) for game in GAMES for kind in get_game(game).policies],
)
async def test_every_fixed_policy_of_every_game_plays_a_series(
    anyio_backend: Any, game: str, kind: str
) -> None:
    seats = dict.fromkeys(get_game(game).seats, kind)
    records, _ = await play_series(PlayConfig(game=game, seats=seats, episodes=2, latency=INSTANT))
    assert len(records) == 2


@pytest.mark.anyio
async def test_speculation_changes_timing_never_decisions(anyio_backend: Any) -> None:
    logs = {}
    for speculate in (False, True):
        sink = ListSink()
        await play_series(config(speculate=speculate, latency=LatencyModel.fixed(1.0)), log=sink)
        logs[speculate] = moves(sink.events)
    assert logs[True] == logs[False]


def test_replay_of_a_log_is_identical_on_the_other_backend(tmp_path: Path) -> None:
    log = tmp_path / "matches.jsonl"

    async def record() -> None:
        sink = JsonlSink(log)
        await play_series(config(speculate=True, latency=LatencyModel.fixed(0.5)), log=sink)
        sink.close()

    anyio.run(record, backend="trio", backend_options=backend_options("trio"))
    checks = anyio.run(
        replay_log, log, backend="asyncio", backend_options=backend_options("asyncio")
    )
    assert len(checks) == 6
    assert all(check.ok for check in checks)


def test_a_tampered_log_fails_its_replay(tmp_path: Path) -> None:
    log = tmp_path / "matches.jsonl"

    async def record() -> None:
        sink = JsonlSink(log)
        await play_series(config(), log=sink)
        sink.close()

    anyio.run(record)
    lines = log.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if '"MatchTransition"' in line)
    event = json.loads(lines[index])
    event["rewards"] = {"X": 42.0, "O": -42.0}
    lines[index] = json.dumps(event)
    log.write_text("\n".join(lines) + "\n")
    checks = anyio.run(replay_log, log)
    assert sum(not c.ok for c in checks) == 1


@pytest.mark.anyio
async def test_a_cut_short_log_reports_its_unfinished_matches_as_incomplete(
    anyio_backend: Any, tmp_path: Path
) -> None:
    log = tmp_path / "matches.jsonl"
    sink = JsonlSink(log)
    await play_series(config(episodes=4, train=2), log=sink)
    sink.close()
    lines = log.read_text().splitlines()
    # Cut where the first evaluation match ends: the others are under way.
    ended = [i for i, line in enumerate(lines) if '"MatchEnded"' in line]
    log.write_text("\n".join(lines[: ended[2] + 1]) + "\n")

    checks = await replay_log(log)
    statuses = {check.match: check.status for check in checks}
    assert statuses["tictactoe-0"] == statuses["tictactoe-1"] == "identical"
    assert list(statuses.values()).count("identical") == 3
    assert "incomplete" in statuses.values()
    assert "different" not in statuses.values()
    assert not any(check.ok for check in checks if check.status == "incomplete")


@pytest.mark.anyio
async def test_a_log_recorded_with_another_provider_replays_with_the_llm_given(
    anyio_backend: Any, tmp_path: Path
) -> None:
    log = tmp_path / "matches.jsonl"
    recorded = config(provider="openai:sim", episodes=2, train=1)

    def llm() -> SimLLM:  # stands in for the provider (e.g. a cassette replay)
        return simulated_llm(seed=recorded.seed, latency=INSTANT)

    sink = JsonlSink(log)
    await play_series(recorded, log=sink, llm=llm())
    sink.close()
    with pytest.raises(ConfigError, match="recorded with provider 'openai:sim': pass llm="):
        await replay_log(log)
    checks = await replay_log(log, llm=llm())
    assert [check.status for check in checks] == ["identical"] * 3


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"game": "chess"}, "unknown game 'chess'"),
        ({"seats": {"X": "rafa"}}, "seats are X, O"),
        ({"seats": {"X": "rafa", "O": "genius"}}, "unknown player 'genius'"),
        ({"episodes": -1}, "^episodes must be >= 0"),
        ({"episodes": 0, "train": 0}, "^episodes and train are both 0"),
        ({"n_candidates": 0}, "^n_candidates must be >= 1"),
        ({"move_timeout": -1.0}, "^move_timeout must be a number of seconds > 0, got -1"),
    ],
)
def test_bad_configs_are_refused_with_a_clear_message(
    overrides: dict[str, Any], message: str
) -> None:
    """Messages name PlayConfig's fields (a program has no --episodes), and
    list them in ``fields`` for a front end that calls them otherwise."""
    with pytest.raises(ConfigError, match=message) as caught:
        config(**overrides).validate()
    assert "--" not in str(caught.value)
    assert set(caught.value.fields) <= set(PlayConfig.__struct_fields__)


def test_a_file_that_is_not_a_match_log_is_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.jsonl"
    garbage.write_text("not json\n")
    with pytest.raises(ConfigError, match="not a rafa match log"):
        read_match_log(garbage)
    with pytest.raises(ConfigError, match="cannot read match log"):
        read_match_log(tmp_path / "missing.jsonl")


# -- the CLI -------------------------------------------------------------------------

runner = CliRunner()


def test_cli_play_prints_a_simulated_table_and_writes_results(tmp_path: Path) -> None:
    out, log, trace = tmp_path / "out.jsonl", tmp_path / "log.jsonl", tmp_path / "trace.jsonl"
    result = runner.invoke(
        app,
        ["play", "tictactoe", "--x", "rafa", "--o", "random", "--episodes", "3", "--train", "1",
         "--latency-scale", "0", "--no-progress", "--out", str(out), "--log", str(log),
         "--trace", str(trace)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "SIMULATED" in result.output
    assert "rafa" in result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 4
    assert {"scores", "turns", "llm_calls", "digest", "simulated"} <= set(records[0])
    kinds = {json.loads(line)["type"] for line in trace.read_text().splitlines()}
    assert {"PlanStarted", "PlanCompleted", "LLMCallStarted", "LLMCallEnded"} <= kinds

    replayed = runner.invoke(app, ["play", "--replay", str(log), "--backend", "asyncio"])
    assert replayed.exit_code == 0, replayed.output
    assert "4 identical, 0 different" in replayed.output


@pytest.mark.parametrize(
    ("series", "title", "counts"),
    [
        (["--episodes", "1"], "tictactoe · 1 evaluation match", "1 match: LLM calls"),
        (
            ["--episodes", "4", "--train", "2"],
            "tictactoe · 4 evaluation matches (after 2 training)",
            "6 matches (2 training, 4 evaluation): LLM calls",
        ),
        (
            ["--episodes", "0", "--train", "1"],
            "tictactoe · 0 evaluation matches (after 1 training)",
            "1 match (1 training, 0 evaluation): LLM calls",
        ),
    ],
)
def test_cli_play_says_what_its_counts_count(series: list[str], title: str, counts: str) -> None:
    result = runner.invoke(
        app, ["play", "tictactoe", *series, "--latency-scale", "0", "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    plain = result.output.replace(" · SIMULATED LLM", "")
    assert title in plain
    assert counts in plain
    assert "1 evaluation matches" not in plain


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["play", "chess"], "unknown game 'chess'"),
        (["play", "connect4", "--x", "rafa"], "--x is for tictactoe"),
        (["play", "tictactoe", "--seat", "X"], "bad --seat 'X'"),
        (["play", "tictactoe", "--x", "genius"], "unknown player 'genius'"),
        (["play"], "name a game"),
        (["play", "--replay", "/nonexistent/log.jsonl"], "cannot read match log"),
    ],
)
def test_cli_play_bad_input_exits_2_with_one_message(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def every_seat_kind() -> list[tuple[str, str]]:
    """(game, kind) for every game of the registry and every kind of player it
    offers: the LLM kinds and each of its policies."""
    return [(game, kind) for game in GAMES for kind in seat_kinds(get_game(game))]


@pytest.mark.parametrize("seed", [0, 5])
@pytest.mark.parametrize(("game", "kind"), every_seat_kind())
def test_cli_plays_every_seat_kind_of_every_registered_game(
    tmp_path: Path, game: str, kind: str, seed: int
) -> None:
    """The registry's contract with `rafa play`: every kind it lists, in every
    seat, plays short matches to their end.  (A policy factory that misused its
    seed crashed or never finished; no test had seated every kind.)"""
    spec = get_game(game)
    out = tmp_path / "out.jsonl"
    seats = [arg for seat in spec.seats for arg in ("--seat", f"{seat}={kind}")]
    result = runner.invoke(
        app,
        ["play", game, *seats, "--episodes", "2", "--n-candidates", "2", "--seed", str(seed),
         "--latency-scale", "0", "--no-progress", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["match"] for r in records) == [f"{game}-0", f"{game}-1"]
    calls_llm = uses_llm(kind)
    for record in records:
        assert record["seats"] == dict.fromkeys(spec.seats, kind)
        assert set(record["scores"]) == set(spec.seats)
        assert all(0.0 <= score <= 1.0 for score in record["scores"].values())
        if spec.scoring == "outcome":
            assert sum(record["scores"].values()) == pytest.approx(1.0)
        assert record["turns"] >= 1
        assert not any(record["late"].values())
        assert (record["llm_calls"] > 0) == calls_llm
        assert record["simulated"]
    assert ("SIMULATED" in result.output) == calls_llm


def test_a_policy_searching_in_a_thread_replays_identically(tmp_path: Path) -> None:
    # negamax is CPU-heavy: its moves are computed in a thread (see PolicyPlayer).
    log = tmp_path / "c4.jsonl"
    result = runner.invoke(
        app,
        ["play", "connect4", "--seat", "R=negamax", "--seat", "Y=rafa", "--episodes", "3",
         "--seed", "3", "--latency-scale", "0", "--no-progress", "--log", str(log)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    replayed = runner.invoke(app, ["play", "--replay", str(log), "--backend", "asyncio"])
    assert "3 identical, 0 different" in replayed.output


def test_a_msgpack_match_log_replays_too(tmp_path: Path) -> None:
    log = tmp_path / "matches.msgpack"
    result = runner.invoke(
        app,
        ["play", "tictactoe", "--episodes", "2", "--latency-scale", "0", "--no-progress",
         "--log", str(log)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    replayed = runner.invoke(app, ["play", "--replay", str(log)])
    assert replayed.exit_code == 0, replayed.output
    assert "2 identical, 0 different" in replayed.output


def test_cli_fills_unnamed_seats_with_the_games_defaults() -> None:
    from rafa_async.cli._play import parse_seats

    assert parse_seats("tictactoe", None, "perfect", []) == {"X": "rafa", "O": "perfect"}
    seats = parse_seats("gridworld", None, None, ["a5=stay"])
    assert seats == {"a0": "rafa", "a1": "rafa", "a2": "rafa", "a3": "greedy", "a4": "greedy",
                     "a5": "stay"}  # fmt: skip


def test_a_gridworld_series_shows_shares_not_wins_and_replays(tmp_path: Path) -> None:
    log = tmp_path / "grid.jsonl"
    args = ["play", "gridworld", "--episodes", "2", "--latency-scale", "0", "--no-progress",
            "--log", str(log)]  # fmt: skip
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "mean score" in result.output
    assert "wins" not in result.output
    replayed = runner.invoke(app, ["play", "--replay", str(log), "--backend", "asyncio"])
    assert replayed.exit_code == 0, replayed.output
    assert "2 identical, 0 different" in replayed.output


@pytest.mark.anyio
async def test_a_real_provider_must_be_passed_in_not_named(anyio_backend: Any) -> None:
    with pytest.raises(
        ConfigError, match="provider 'openai:gpt-4o-mini' is not the in-process sim: open it"
    ):
        await play_series(config(provider="openai:gpt-4o-mini"))


@pytest.mark.anyio
async def test_a_match_played_alone_is_the_match_its_series_plays(anyio_backend: Any) -> None:
    series = config(train=0, episodes=3, rotate=True)
    records, _ = await play_series(series)

    alone = await play_match(series, 2)

    assert alone.match == records[2].match == "tictactoe-2"
    assert alone.seating == records[2].seating  # rotated as in the series
    assert alone.digest == records[2].digest


@pytest.mark.anyio
async def test_a_training_match_alone_teaches_the_memories_it_is_given(
    anyio_backend: Any,
) -> None:
    memories = {"X": Memory()}
    await play_match(config(), 0, phase="eval", memories=memories)
    assert len(memories["X"]) == 0  # an evaluation match plays from a copy

    await play_match(config(), 0, phase="train", memories=memories)
    assert len(memories["X"]) > 0


# -- rotating seats ------------------------------------------------------------------


@pytest.mark.anyio
async def test_rotate_swaps_the_players_seats_every_match(anyio_backend: Any) -> None:
    records, _ = await play_series(config(rotate=True))
    assert [r.seats for r in records] == [
        {"X": "rafa", "O": "random"},
        {"X": "random", "O": "rafa"},
    ] * 3
    assert records[1].seating == {"X": "O", "O": "X"}


@pytest.mark.anyio
async def test_rotated_results_are_reported_per_player(anyio_backend: Any) -> None:
    records, summary = await play_series(config(rotate=True, seats={"X": "rafa", "O": "perfect"}))
    rafa, perfect = summary.seats
    assert (rafa.kind, rafa.seat) == ("rafa", "X/O")
    assert (perfect.kind, perfect.seat) == ("perfect", "O/X")
    evaluation = [r for r in records if r.phase == "eval"]
    rafa_scores = [r.scores["X" if r.seats["X"] == "rafa" else "O"] for r in evaluation]
    assert rafa.mean_score == pytest.approx(sum(rafa_scores) / len(rafa_scores))
    assert rafa.wins + rafa.draws + rafa.losses == len(evaluation)
    assert rafa.losses == perfect.wins


def test_a_rotated_series_replays_identically(tmp_path: Path) -> None:
    log = tmp_path / "rotated.jsonl"
    result = runner.invoke(
        app,
        ["play", "tictactoe", "--rotate", "--episodes", "3", "--latency-scale", "0",
         "--no-progress", "--log", str(log)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "seats rotate every match" in result.output
    assert "X/O" in result.output
    replayed = runner.invoke(app, ["play", "--replay", str(log), "--backend", "asyncio"])
    assert "3 identical, 0 different" in replayed.output


# -- a provider that fails every call ----------------------------------------------------------

DOWN = FaultModel(server_error_rate=1.0)


@pytest.mark.anyio
async def test_a_provider_failing_every_call_stops_the_series_with_an_error_record(
    anyio_backend: Any,
) -> None:
    seen: list[MatchRecord] = []
    down = simulated_llm(latency=INSTANT, faults=DOWN)

    with pytest.raises(ProviderUnavailable, match="10 LLM calls in a row failed") as caught:
        await play_series(config(train=0, concurrency=1), llm=down, on_match=seen.append)

    (record,) = seen
    assert (record.match, record.status, record.error) == (
        "tictactoe-0",
        "error",
        str(caught.value),
    )
    assert record.scores == {}  # the match did not end


@pytest.mark.anyio
async def test_without_the_breaker_matches_played_on_fallbacks_are_errors(
    anyio_backend: Any,
) -> None:
    down = MiddlewareStack(simulated_llm(latency=INSTANT, faults=DOWN), max_consecutive_failures=0)

    records, summary = await play_series(config(train=1, episodes=2), llm=down)

    assert [r.status for r in records] == ["error"] * 3
    for record in records:
        assert record.error is not None
        assert record.error.startswith(
            "seat X: no LLM call was answered (its moves were fallbacks)"
        )
        assert sum(record.scores.values()) == 1.0  # played to the end, on fallbacks
    assert (summary.training_matches, summary.evaluation_matches, summary.errors) == (0, 0, 3)
    assert all(s.wins + s.draws + s.losses == 0 for s in summary.seats)


@pytest.mark.anyio
async def test_matches_whose_llm_answered_are_done(anyio_backend: Any) -> None:
    records, summary = await play_series(config(train=0, episodes=2))
    assert [(r.status, r.error) for r in records] == [("done", None)] * 2
    assert summary.errors == 0
