"""The ``rafa`` command line, through typer's test runner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from support import assert_one_line_error, rafa

from rafa_async import read_events
from rafa_async.llm import SIM_LABEL

RECORD_KEYS = {
    "rank",
    "numbers",
    "solved",
    "expression",
    "env_steps",
    "llm_calls",
    "tokens",
    "wall_s",
}
FAST = ["--latency-scale", "0", "--no-progress"]


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    # The CLI configures structlog globally, to the runner's captured stderr.
    yield
    structlog.reset_defaults()


def test_run_writes_one_record_per_puzzle_and_a_trace(tmp_path: Path) -> None:
    out, trace = tmp_path / "results.jsonl", tmp_path / "trace.jsonl"

    result = rafa(
        "run", "game24", "--puzzles", "901-903", *FAST, "--out", str(out), "--trace", str(trace)
    )

    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 3
    assert all(set(r) >= RECORD_KEYS for r in records)
    assert sorted(r["rank"] for r in records) == [901, 902, 903]
    assert all(r["simulated"] for r in records)
    events = list(read_events(trace))
    assert events
    assert [e.seq for e in events] == list(range(len(events)))


def test_run_says_the_llm_is_simulated() -> None:
    result = rafa("run", "game24", "--puzzles", "901", *FAST)

    assert result.exit_code == 0, result.output
    assert "SIMULATED" in result.stdout
    assert SIM_LABEL in " ".join(result.stdout.split())  # the table title may wrap


def test_run_prints_a_summary_of_the_run() -> None:
    result = rafa(
        "run", "game24", "--puzzles", "901-902", "--agent", "direct", "--seed", "7", *FAST
    )

    assert result.exit_code == 0, result.output
    assert "2 (ranks 901-902)" in result.stdout
    assert "game24 · direct" in result.stdout
    assert "trio / 7" in result.stdout


def test_one_llm_call_is_one_call() -> None:
    result = rafa("run", "game24", "--puzzles", "901", "--agent", "direct", *FAST)

    assert result.exit_code == 0, result.output
    assert "LLM sim: 1 call completed," in result.stdout


def test_run_on_asyncio(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"

    result = rafa(
        "run", "game24", "--puzzles", "901-902", "--backend", "asyncio", *FAST, "--out", str(out)
    )

    assert result.exit_code == 0, result.output
    assert "asyncio / 0" in result.stdout
    assert len(out.read_text().splitlines()) == 2


def test_run_respects_max_steps(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"

    result = rafa(
        "run",
        "game24",
        "--puzzles",
        "901-903",
        "--agent",
        "reflexion",
        "--max-steps",
        "1",
        *FAST,
        "--out",
        str(out),
    )

    assert result.exit_code == 0, result.output
    assert all(json.loads(line)["env_steps"] <= 1 for line in out.read_text().splitlines())


def test_json_logs_record_the_run_on_stderr() -> None:
    result = rafa(
        "run", "game24", "--puzzles", "901", *FAST, "--log-format", "json", "--log-level", "info"
    )

    assert result.exit_code == 0, result.output
    logs = [json.loads(line) for line in result.stderr.splitlines()]
    assert [entry["event"] for entry in logs] == ["run_started", "run_ended"]
    assert logs[0]["tasks"] == "901"
    assert logs[1]["episodes"] == 1


@pytest.mark.parametrize(
    "command",
    [["run", "game24", "--puzzles", "901-902"], ["play", "tictactoe", "--episodes", "2"]],
)
def test_stderr_that_is_not_a_terminal_gets_json_logs_and_no_progress_bar(
    command: list[str],
) -> None:
    # The progress bar is on by default, but the runner's stderr is no terminal.
    result = rafa(*command, "--latency-scale", "0", "--log-format", "json", "--log-level", "debug")

    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines  # debug logs
    assert all(isinstance(json.loads(line), dict) for line in lines)


def test_unknown_scenario_is_one_line_error() -> None:
    assert_one_line_error(rafa("run", "chess", *FAST), "unknown scenario 'chess'", "game24")


def test_unknown_agent_is_a_usage_error_listing_the_agents() -> None:
    result = rafa("run", "game24", "--agent", "alphago", *FAST)

    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "'alphago' is not one of" in result.stderr
    for agent in ("rafa", "tot", "reflexion", "direct"):
        assert agent in result.stderr


@pytest.mark.parametrize(("spec", "reason"), [("abc", "is not N or N-M"), ("0-5", "1 <= N <= M")])
def test_bad_puzzles_is_one_line_error(spec: str, reason: str) -> None:
    assert_one_line_error(
        rafa("run", "game24", "--puzzles", spec, *FAST), f"bad puzzle range '{spec}'", reason
    )


def test_unwritable_out_is_one_line_error() -> None:
    result = rafa("run", "game24", "--puzzles", "901", *FAST, "--out", "/nonexistent/dir/x.jsonl")

    assert_one_line_error(result, "cannot write /nonexistent/dir/x.jsonl")


def test_unwritable_trace_is_one_line_error(tmp_path: Path) -> None:
    trace = tmp_path / "missing" / "trace.jsonl"

    result = rafa("run", "game24", "--puzzles", "901", *FAST, "--trace", str(trace))

    assert_one_line_error(result, f"cannot write {trace}")


def test_unknown_provider_is_one_line_error() -> None:
    assert_one_line_error(
        rafa("run", "game24", "--provider", "nosuch", *FAST), "unknown provider 'nosuch'", "sim"
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("--beam", "--beam must be >= 1"),
        ("--concurrency", "--concurrency must be >= 1"),
        ("--n-generate", "--n-generate must be >= 1"),
        ("--max-steps", "--max-steps must be >= 1"),
    ],
)
def test_non_positive_search_setting_is_one_line_error(option: str, message: str) -> None:
    assert_one_line_error(rafa("run", "game24", option, "0", *FAST), message)


def test_negative_latency_scale_is_one_line_error() -> None:
    assert_one_line_error(
        rafa("run", "game24", "--latency-scale", "-1", "--no-progress"), "--latency-scale"
    )


def test_bad_log_level_is_one_line_error() -> None:
    assert_one_line_error(
        rafa("run", "game24", *FAST, "--log-level", "loud"), "unknown log level 'loud'"
    )


def test_help_lists_the_commands_and_says_the_default_llm_is_simulated() -> None:
    result = rafa("--help")

    assert result.exit_code == 0
    assert "run" in result.stdout
    assert "scenarios" in result.stdout
    assert "SIMULATED LLM" in result.stdout


def test_run_help_mentions_the_options() -> None:
    result = rafa("run", "--help")

    assert result.exit_code == 0
    for option in (
        "--agent",
        "--provider",
        "--puzzles",
        "--seed",
        "--out",
        "--n-generate",
        "--n-evaluate",
        "--beam",
        "--switching",
        "--max-steps",
        "--backend",
        "--concurrency",
        "--max-concurrency",
        "--rpm",
        "--tpm",
        "--base-url",
        "--config",
        "--cache",
        "--record-llm",
        "--replay-llm",
        "--stream",
        "--latency-scale",
        "--trace",
        "--no-progress",
        "--max-consecutive-failures",
    ):
        assert option in result.stdout, option


def test_scenarios_lists_the_benchmarks_and_the_games() -> None:
    result = rafa("scenarios")

    assert result.exit_code == 0
    lines = [line.split()[0] for line in result.stdout.splitlines() if line.startswith("  ")]
    assert lines[:2] == ["blocksworld", "game24"]  # the benchmarks first, by name
    assert "901-1000" in result.stdout and "step_4" in result.stdout
    assert {"tictactoe", "connect4", "ipd"} <= set(lines)


def test_a_provider_without_its_key_is_one_line_error_before_anything_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = rafa("run", "game24", "--provider", "anthropic:claude-3-5-haiku-latest", *FAST)
    assert_one_line_error(result, "ANTHROPIC_API_KEY", "not set")


def test_an_unopenable_cache_is_one_line_error(tmp_path: Path) -> None:
    cache = tmp_path / "missing" / "cache.sqlite"
    result = rafa("run", "game24", "--cache", str(cache), *FAST)
    assert_one_line_error(result, "cannot open the response cache", "folder exists")


def test_a_replay_as_another_llm_is_one_line_error_naming_both(tmp_path: Path) -> None:
    cassette = tmp_path / "calls.jsonl"
    puzzle = ["game24", "--puzzles", "901", *FAST]
    assert rafa("run", *puzzle, "--record-llm", str(cassette)).exit_code == 0
    assert rafa("run", *puzzle, "--replay-llm", str(cassette)).exit_code == 0
    for other in (
        ["--provider", "anthropic:claude-3-5-haiku-latest"],
        ["--provider", "openai:sim", "--base-url", "http://127.0.0.1:9/v1"],
        ["--seed", "1"],
    ):
        # (no --latency-scale: it is the in-process sim's, refused for others)
        result = rafa("run", "game24", "--puzzles", "901", "--replay-llm", str(cassette), *other)
        assert_one_line_error(result, "was recorded from sim:sim:seed=0:", "wrong model")
        llm = other[1].split("@")[0] if other[0] == "--provider" else "sim:sim:seed=1:"
        assert f"this run replays it as {llm}" in result.stderr


@pytest.mark.parametrize("command", [["run", "game24"], ["play", "tictactoe"]])
def test_max_consecutive_failures_is_an_option_of_run_and_play(command: list[str]) -> None:
    assert "--max-consecutive-failures" in rafa(*command, "--help").stdout
    assert_one_line_error(
        rafa(*command, "--max-consecutive-failures", "-2", *FAST),
        "--max-consecutive-failures must be >= 0 (0: never stop), got -2",
    )
