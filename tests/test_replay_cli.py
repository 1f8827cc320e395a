"""``rafa play --replay LOG``: which options apply, real-provider logs, cut-short logs.

(The end-to-end replay of a series recorded over HTTP, offline from its
cassette, is in test_real_provider_runs.py: it needs a `rafa sim-serve`.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import pytest
import typer
from support import assert_one_line_error, rafa

from rafa_async import JsonlSink
from rafa_async.app import PlayConfig, play_series
from rafa_async.cli import _replay, app
from rafa_async.llm import LatencyModel, SimLLM
from rafa_async.scenarios import simulated_llm

INSTANT = ["--latency-scale", "0", "--no-progress"]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A sim series' match log and cassette: 1 training + 3 evaluation matches."""
    folder = tmp_path_factory.mktemp("recorded")
    log, cassette = folder / "matches.jsonl", folder / "calls.jsonl"
    result = rafa(
        "play", "tictactoe", "--episodes", "3", "--train", "1", *INSTANT,
        "--log", str(log), "--record-llm", str(cassette),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return log, cassette


def test_a_replay_checks_every_match_and_labels_the_sim(recorded: tuple[Path, Path]) -> None:
    log, _ = recorded
    result = rafa("play", "--replay", str(log), "--no-progress")
    assert result.exit_code == 0, result.output
    assert (
        "checked 4 matches of tictactoe on trio (simulated LLM): 4 identical, 0 " in result.stdout
    )
    assert "different, 0 incomplete" in result.stdout
    assert "cost none (simulated)" in result.stdout


def test_replay_llm_answers_the_replay_from_the_cassette(recorded: tuple[Path, Path]) -> None:
    log, cassette = recorded
    result = rafa("play", "--replay", str(log), "--replay-llm", str(cassette), "--no-progress")
    assert result.exit_code == 0, result.output
    assert "4 identical, 0 different, 0 incomplete" in result.stdout
    calls = len(cassette.read_text().splitlines()) - 1  # after the header
    assert f"LLM sim: {calls} calls completed" in result.stdout
    assert f"cached {calls}" in result.stdout  # every answer came from the cassette


def test_latency_scale_and_max_concurrency_apply_to_a_replay(
    recorded: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    log, _ = recorded
    asked: list[LatencyModel | None] = []

    def sim(**options: Any) -> SimLLM:
        asked.append(options.pop("latency"))
        return simulated_llm(**options, latency=LatencyModel(scale=0.0))  # no real sleeps

    monkeypatch.setattr(_replay, "simulated_llm", sim)
    result = rafa("play", "--replay", str(log), "--latency-scale", "2.5", "--no-progress")
    assert result.exit_code == 0, result.output
    assert asked == [LatencyModel(scale=2.5)]
    bad = rafa("play", "--replay", str(log), "--max-concurrency", "0", "--no-progress")
    assert_one_line_error(bad, "--max-concurrency must be >= 1")


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--episodes", "5"], "--episodes"),
        (["--seed", "3", "--x", "random"], "--x, --seed"),
        (["--out", "out.jsonl"], "--out"),
        (["--no-rotate"], "--rotate"),
    ],
)
def test_options_that_set_the_series_are_refused_with_one_line(
    recorded: tuple[Path, Path], options: list[str], named: str
) -> None:
    log, _ = recorded
    result = rafa("play", "--replay", str(log), *options)
    assert_one_line_error(result, f"{named} cannot be used with --replay", "the log sets")


def test_a_game_with_replay_is_refused(recorded: tuple[Path, Path]) -> None:
    log, _ = recorded
    assert_one_line_error(
        rafa("play", "tictactoe", "--replay", str(log)), "GAME cannot be used with --replay"
    )


def test_every_option_a_replay_takes_is_an_option_of_play() -> None:
    play = typer.main.get_command(app).commands["play"]  # type: ignore[attr-defined]
    params = {param.name for param in play.params}
    assert params >= _replay.APPLIES
    assert {"provider", "replay", "record", "max_concurrency"} <= _replay.APPLIES  # LLM options


@pytest.fixture
def real_provider_log(tmp_path: Path) -> Path:
    """A log whose series names a real provider (played here on the sim)."""
    log = tmp_path / "gpt.jsonl"
    config = PlayConfig(
        game="tictactoe",
        seats={"X": "rafa", "O": "random"},
        episodes=1,
        provider="openai:gpt-4o-mini",
        latency=LatencyModel(scale=0.0),
    )

    async def record() -> None:
        sink = JsonlSink(log)
        await play_series(config, log=sink, llm=simulated_llm(latency=config.latency))
        sink.close()

    anyio.run(record)
    return log


def test_a_real_provider_log_without_a_cassette_or_provider_says_what_to_pass(
    real_provider_log: Path,
) -> None:
    result = rafa("play", "--replay", str(real_provider_log))
    assert_one_line_error(
        result, "recorded with provider 'openai:gpt-4o-mini'", "--replay-llm CASSETTE", "--provider"
    )


def test_a_real_provider_log_re_runs_live_on_the_provider_given(
    real_provider_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    live = rafa("play", "--replay", str(real_provider_log), "--provider", "openai:gpt-4o-mini")
    assert_one_line_error(live, "OPENAI_API_KEY")  # it would call the provider: it needs the key


def test_a_policy_only_log_needs_no_provider(tmp_path: Path) -> None:
    log = tmp_path / "policies.jsonl"
    config = PlayConfig(
        game="tictactoe", seats={"X": "random", "O": "perfect"}, episodes=2, provider="openai:x"
    )

    async def record() -> None:
        sink = JsonlSink(log)
        await play_series(config, log=sink, llm=simulated_llm())
        sink.close()

    anyio.run(record)
    result = rafa("play", "--replay", str(log), "--no-progress")
    assert result.exit_code == 0, result.output
    assert "2 identical" in result.stdout


def _cut(log: Path, into: Path, matches_ended: int) -> Path:
    """``log`` cut right after its ``matches_ended``-th ``MatchEnded``."""
    lines = log.read_text().splitlines()
    ended = [i for i, line in enumerate(lines) if json.loads(line)["type"] == "MatchEnded"]
    into.write_text("\n".join(lines[: ended[matches_ended - 1] + 1]) + "\n")
    return into


def test_a_cut_short_log_reports_incomplete_matches_and_exits_0(
    recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    log, cassette = recorded
    cut = _cut(log, tmp_path / "cut.jsonl", matches_ended=2)
    result = rafa("play", "--replay", str(cut), "--replay-llm", str(cassette), "--no-progress")
    assert result.exit_code == 0, result.output
    assert "MISMATCH" not in result.stdout
    assert ": incomplete " in result.stdout
    assert "(the log ends before the match does: not re-run)" in result.stdout
    assert "2 identical, 0 different, 2 incomplete" in result.stdout
    assert "the log holds" not in result.stdout  # every match had started

    cut = _cut(log, tmp_path / "cut-in-training.jsonl", matches_ended=1)
    result = rafa("play", "--replay", str(cut), "--replay-llm", str(cassette), "--no-progress")
    assert result.exit_code == 0, result.output
    assert "1 identical, 0 different, 0 incomplete" in result.stdout
    assert "the log holds 1 of the series' 4 matches (it was cut short)" in result.stdout


def test_a_log_whose_writer_was_killed_mid_line_replays_as_cut_short(
    recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    log, cassette = recorded
    data = log.read_bytes()
    killed = tmp_path / "killed.jsonl"
    killed.write_bytes(data[: data.rindex(b'{"type":"MatchEnded"') + 25])  # half an event
    result = rafa("play", "--replay", str(killed), "--replay-llm", str(cassette), "--no-progress")
    assert result.exit_code == 0, result.output
    assert "3 identical, 0 different, 1 incomplete" in result.stdout


def test_a_tampered_match_is_a_mismatch_and_exits_1(
    recorded: tuple[Path, Path], tmp_path: Path
) -> None:
    log, _ = recorded
    lines = log.read_text().splitlines()
    index = max(i for i, line in enumerate(lines) if '"MatchTransition"' in line)
    event = json.loads(lines[index])
    event["state"] = "tampered"
    lines[index] = json.dumps(event)
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join(lines) + "\n")
    result = rafa("play", "--replay", str(tampered), "--latency-scale", "0", "--no-progress")
    assert result.exit_code == 1
    assert "MISMATCH" in result.stdout
    assert "3 identical, 1 different, 0 incomplete" in result.stdout
