"""``rafa run`` / ``rafa play`` on an HTTP provider: our OpenAI adapter talking to
a real ``rafa sim-serve`` process over loopback.

The server is the simulated LLM, so the same seed must give the same results
as the in-process sim; runs must be labelled simulated; a cassette recorded
over HTTP must replay offline; and an API key must never reach any output.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import Server, assert_one_line_error, rafa, serving, start_sim_serve, stop

from rafa_async.llm import Retry

pytestmark = pytest.mark.slow

SECRET = "sk-test-DO-NOT-LEAK-4242"
PUZZLES = ("--puzzles", "901-903")


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with serving("--latency-scale", "0") as running:
        yield running


def via_http(server: Server) -> tuple[str, ...]:
    return ("--provider", "openai:sim", "--base-url", server.base_url, "--send-intent")


def records(path: Path) -> list[dict[str, object]]:
    """The file's lines, in task order (they are written as tasks finish)."""
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return sorted(lines, key=lambda r: str(r.get("rank", r.get("match"))))


def outcome(record: dict[str, object]) -> tuple[object, ...]:
    """What a run decides (not its timing)."""
    return tuple(
        record[k] for k in ("rank", "solved", "expression", "env_steps", "llm_calls", "tokens")
    )


def test_run_over_http_gives_the_in_process_results_labelled_simulated(
    server: Server, tmp_path: Path
) -> None:
    http, local = tmp_path / "http.jsonl", tmp_path / "local.jsonl"
    over_http = rafa(
        "run", "game24", *PUZZLES, *via_http(server), "--no-progress", "--out", str(http)
    )
    in_process = rafa(
        "run", "game24", *PUZZLES, "--latency-scale", "0", "--no-progress", "--out", str(local)
    )
    assert over_http.exit_code == 0, over_http.output
    assert in_process.exit_code == 0, in_process.output
    assert [outcome(r) for r in records(http)] == [outcome(r) for r in records(local)]
    assert all(r["simulated"] for r in records(http))
    assert "SIMULATED LLM" in over_http.stdout


def test_a_cassette_recorded_over_http_replays_offline_identically(
    server: Server, tmp_path: Path
) -> None:
    cassette, first, again = tmp_path / "calls.jsonl", tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    recorded = rafa(
        "run", "game24", *PUZZLES, *via_http(server), "--no-progress",
        "--record-llm", str(cassette), "--out", str(first),
    )  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    # No server and no network: the base URL points at a closed port.
    replayed = rafa(
        "run", "game24", *PUZZLES, "--provider", "openai:sim", "--base-url",
        "http://127.0.0.1:9/v1", "--no-progress", "--replay-llm", str(cassette),
        "--out", str(again),
    )  # fmt: skip
    assert replayed.exit_code == 0, replayed.output
    assert [outcome(r) for r in records(again)] == [outcome(r) for r in records(first)]
    # Replayed as another model, its answers would be credited to that model.
    for provider in ("anthropic:claude-3-5-haiku-latest", "sim"):
        refused = rafa(
            "run", "game24", *PUZZLES, "--provider", provider, "--no-progress",
            "--replay-llm", str(cassette),
        )  # fmt: skip
        assert_one_line_error(
            refused, f"{cassette} was recorded from openai:sim, but this run replays it as"
        )


def test_play_over_http_makes_the_same_moves_as_in_process(server: Server, tmp_path: Path) -> None:
    http, local = tmp_path / "http.jsonl", tmp_path / "local.jsonl"
    common = ("play", "tictactoe", "--episodes", "2", "--no-progress")
    assert rafa(*common, *via_http(server), "--out", str(http)).exit_code == 0
    assert rafa(*common, "--latency-scale", "0", "--out", str(local)).exit_code == 0

    # (Digests differ: the log's MatchStarted names the provider.)
    def moves(path: Path) -> list[tuple[object, ...]]:
        return [(r["scores"], r["turns"], r["llm_calls"], r["plans"]) for r in records(path)]

    assert moves(http) == moves(local)


def test_a_series_recorded_over_http_replays_offline_from_its_cassette(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log, cassette = tmp_path / "matches.jsonl", tmp_path / "calls.jsonl"
    recorded = rafa(
        "play", "tictactoe", "--episodes", "3", "--train", "1", *via_http(server),
        "--no-progress", "--record-llm", str(cassette), "--log", str(log),
    )  # fmt: skip
    assert recorded.exit_code == 0, recorded.output
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    # No server: the replay names no URL (the provider is the log's, openai:sim,
    # whose calls the cassette answers), and needs no key.
    replayed = rafa("play", "--replay", str(log), "--replay-llm", str(cassette), "--no-progress")
    assert replayed.exit_code == 0, replayed.output
    assert "(openai:sim): 4 identical, 0 different, 0 incomplete" in replayed.stdout
    assert "SIMULATED LLM" in replayed.stdout  # the cassette's answers were simulated
    assert_one_line_error(
        rafa("play", "--replay", str(log)),
        "recorded with provider 'openai:sim'",
        "--replay-llm CASSETTE",
    )
    lines = log.read_text().splitlines()
    last_end = max(i for i, line in enumerate(lines) if '"MatchEnded"' in line)
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:last_end]) + "\n")  # the last match to end did not
    replayed = rafa("play", "--replay", str(cut), "--replay-llm", str(cassette), "--no-progress")
    assert replayed.exit_code == 0, replayed.output
    assert "0 different, 1 incomplete" in replayed.stdout
    assert "MISMATCH" not in replayed.stdout


def test_an_api_key_reaches_no_output_trace_cassette_or_log(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "rafa.toml"
    config.write_text(
        f'[providers.local]\nkind = "openai"\nbase_url = "{server.base_url}"\n'
        'api_key_env = "RAFA_TEST_KEY"\nmodel = "sim"\nsend_intent = true\n'
    )
    monkeypatch.setenv("RAFA_TEST_KEY", SECRET)
    files = {name: tmp_path / name for name in ("out.jsonl", "trace.jsonl", "calls.jsonl")}
    result = rafa(
        "run", "game24", "--puzzles", "901", "--provider", "local", "--config", str(config),
        "--no-progress", "--out", str(files["out.jsonl"]), "--trace", str(files["trace.jsonl"]),
        "--record-llm", str(files["calls.jsonl"]), "--log-format", "json", "--log-level", "debug",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = rafa("providers", "--provider", "local", "--config", str(config))
    assert "RAFA_TEST_KEY (set)" in shown.stdout
    for text in (result.stdout, result.stderr, shown.stdout, shown.stderr):
        assert SECRET not in text
    for path in files.values():
        assert path.stat().st_size > 0
        assert SECRET not in path.read_text()
    # A key in base_url's query string is refused before anything is sent or written.
    keyed = tmp_path / "keyed.toml"
    keyed.write_text(
        f'[providers.local]\nkind = "openai"\nbase_url = "{server.base_url}?api_key={SECRET}"\n'
        'model = "sim"\n'
    )
    leaked = tmp_path / "leaked.jsonl"
    refused = [
        rafa("run", "game24", "--puzzles", "901", "--provider", "local", "--config", str(keyed),
             "--out", str(leaked), "--log-level", "debug"),
        rafa("run", "game24", "--puzzles", "901", *via_http(server)[:2], "--base-url",
             f"{server.base_url}?key={SECRET}", "--out", str(leaked), "--log-level", "debug"),
        rafa("providers", "--config", str(keyed)),
        rafa("providers", "--provider", "openai:sim", "--base-url", f"{server.base_url}#{SECRET}"),
    ]  # fmt: skip
    for attempt in refused:
        assert_one_line_error(attempt, "must not have a query string or fragment")
        assert SECRET not in attempt.output
    assert not leaked.exists()


@pytest.mark.parametrize(
    ("transport", "backend"), [("h11", "asyncio"), ("aiohttp", "asyncio"), ("h11", "trio")]
)
def test_every_transport_gives_the_same_results(
    server: Server, tmp_path: Path, transport: str, backend: str
) -> None:
    out, local = tmp_path / "out.jsonl", tmp_path / "local.jsonl"
    over_http = rafa(
        "run", "game24", "--puzzles", "901", *via_http(server), "--transport", transport,
        "--backend", backend, "--no-progress", "--out", str(out),
    )  # fmt: skip
    assert over_http.exit_code == 0, over_http.output
    assert rafa("run", "game24", "--puzzles", "901", "--latency-scale", "0", "--no-progress",
                "--out", str(local)).exit_code == 0  # fmt: skip
    assert [outcome(r) for r in records(out)] == [outcome(r) for r in records(local)]


def test_aiohttp_on_trio_is_one_line_error(server: Server) -> None:
    result = rafa("run", "game24", *via_http(server), "--transport", "aiohttp", "--backend", "trio")
    assert_one_line_error(result, "--transport aiohttp runs only on asyncio")


# -- a server that fails every call ------------------------------------------------------------


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries at once: these runs are real-time, and Retry's timing is tested
    on the virtual clock (test_middleware.py, test_provider_wire.py)."""
    monkeypatch.setattr(Retry, "delay", lambda self, retry, error: 0.0)


@pytest.mark.usefixtures("no_backoff")
@pytest.mark.parametrize(
    ("faults", "last_error"),
    [
        (("--server-error-rate", "1"), "ProviderError: down at http://127.0.0.1:"),
        (("--hang-rate", "1", "--hang-seconds", "30"), "LLMTimeout: down at http://127.0.0.1:"),
    ],
    ids=["error-rate-1", "hangs"],
)
def test_a_server_failing_every_call_stops_the_run_with_one_line(
    tmp_path: Path, faults: tuple[str, ...], last_error: str
) -> None:
    down = start_sim_serve("--latency-scale", "0", *faults)
    config = tmp_path / "rafa.toml"
    config.write_text(
        f'[providers.down]\nkind = "openai"\nbase_url = "{down.base_url}"\nmodel = "sim"\n'
        "send_intent = true\ntimeout = 0.2\n"
    )
    out = tmp_path / "out.jsonl"
    try:
        result = rafa(
            "run", "game24", *PUZZLES, "--provider", "down", "--config", str(config),
            "--no-progress", "--out", str(out),
        )  # fmt: skip
    finally:
        stop(down, signal.SIGTERM)
    assert_one_line_error(
        result,
        f"down:sim@{down.base_url} looks unavailable: 10 LLM calls in a row failed after "
        "their retries, so the run stops",
        f"the last error: {last_error}",
    )
    # No call was ever answered: a failed start, not results.  The error
    # records are held back, so --out is not even created (an earlier
    # file, with --force, would be left as it was).
    assert not out.exists()


@pytest.mark.usefixtures("no_backoff")
def test_without_the_breaker_the_table_counts_the_tasks_that_failed(tmp_path: Path) -> None:
    down = start_sim_serve("--latency-scale", "0", "--server-error-rate", "1")
    out = tmp_path / "out.jsonl"
    try:
        result = rafa(
            "run", "game24", *PUZZLES, *via_http(down), "--agent", "direct",
            "--max-consecutive-failures", "0", "--no-progress", "--out", str(out),
        )  # fmt: skip
    finally:
        stop(down, signal.SIGTERM)
    assert result.exit_code == 0, result.output
    assert (
        "│ failed: provider error             │ 3 (status error: not the model's" in result.stdout
    )
    assert "│ success rate                       │ 0.0% of all tasks (no task was served" in (
        result.stdout
    )
    assert [r["status"] for r in records(out)] == ["error"] * 3


def test_a_tournament_seats_participants_on_their_own_providers(
    server: Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "remote" plays through the OpenAI protocol (rafa sim-serve on loopback),
    # "direct" through the in-process sim: one shared stack per provider.
    providers = tmp_path / "rafa.toml"
    providers.write_text(
        f'[providers.local]\nkind = "openai"\nbase_url = "{server.base_url}"\n'
        'api_key_env = "RAFA_TEST_KEY"\nmodel = "sim"\nsend_intent = true\n'
    )
    monkeypatch.setenv("RAFA_TEST_KEY", "sk-test")
    config = tmp_path / "tournament.toml"
    config.write_text(
        'games = ["tictactoe"]\ngames_per_pairing = 2\nlatency_scale = 0\n'
        f'[limits]\nconfig = "{providers}"\n'
        '[[participants]]\nname = "remote"\nkind = "direct"\nprovider = "local"\n'
        '[[participants]]\nname = "direct"\nkind = "direct"\n'
        '[[participants]]\nname = "random"\nkind = "random"\n'
    )
    db = tmp_path / "t.db"
    result = rafa("tournament", "run", str(config), "--db", str(db))
    assert result.exit_code == 0, result.output
    assert "6 of 6 matches finished" in result.stdout
    assert "SIMULATED" in result.stdout  # sim-serve's answers are simulated too
    lines = rafa("tournament", "export", str(db)).stdout.splitlines()
    seats = [s for line in lines for s in json.loads(line)["per_seat"].values()]
    providers_of = {(s["participant"], s["provider"]) for s in seats}
    assert providers_of == {("remote", "local"), ("direct", "sim"), ("random", "-")}
    assert all(s["llm_calls"] > 0 for s in seats if s["participant"] != "random")
