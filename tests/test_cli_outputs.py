"""What ``rafa run`` / ``rafa play`` do to existing output files: nothing before
the run has really started, nothing without ``--resume`` or ``--force``, and
``--resume`` continues a run as if it had never stopped."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from support import assert_one_line_error, rafa

from rafa_async import EpisodeStarted, read_events
from rafa_async.testing import backend_options

FAST = ("--latency-scale", "0")
RUN = ("run", "game24", "--puzzles", "901-906", *FAST)
PLAY = ("play", "tictactoe", "--x", "rafa", "--o", "random", "--train", "2", "--episodes", "4",
        *FAST)  # fmt: skip


@pytest.fixture
def virtual_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's event loop on a virtual clock: retries' backoffs take no time."""
    real_run = anyio.run

    def run(func: Callable[..., Any], *args: Any, backend: str = "trio", **_: Any) -> Any:
        return real_run(func, *args, backend=backend, backend_options=backend_options(backend))

    monkeypatch.setattr(anyio, "run", run)


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, bytes]:
    """The --out and --trace bytes of one earlier run (made once: a run takes a second)."""
    folder = tmp_path_factory.mktemp("earlier")
    out, trace = folder / "keep.jsonl", folder / "trace.jsonl"
    made = rafa(*RUN, "--out", str(out), "--trace", str(trace))
    assert made.exit_code == 0, made.output
    return out.read_bytes(), trace.read_bytes()


@pytest.fixture
def earlier(tmp_path: Path, earlier_run: tuple[bytes, bytes]) -> Iterator[tuple[Path, Path]]:
    """--out and --trace files from an earlier run, in this test's folder."""
    out, trace = tmp_path / "keep.jsonl", tmp_path / "trace.jsonl"
    out.write_bytes(earlier_run[0])
    trace.write_bytes(earlier_run[1])
    yield out, trace


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def bad_cassette(folder: Path) -> list[str]:
    (folder / "garbage.cassette").write_text("garbage\n")
    return ["--replay-llm", str(folder / "garbage.cassette")]


def cache_is_a_folder(folder: Path) -> list[str]:
    (folder / "cache").mkdir()
    return ["--cache", str(folder / "cache")]


def cache_is_not_sqlite(folder: Path) -> list[str]:
    (folder / "cache.db").write_text("not a database, only some words to fill a page\n" * 20)
    return ["--cache", str(folder / "cache.db")]


def cassette_in_no_folder(folder: Path) -> list[str]:
    return ["--record-llm", str(folder / "missing" / "new.cassette")]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (bad_cassette, "not a cassette header"),
        (cache_is_a_folder, "cannot open the response cache"),
        (cache_is_not_sqlite, "cannot be used"),
        (cassette_in_no_folder, "no such folder"),
    ],
)
def test_a_startup_error_leaves_earlier_results_and_trace_as_they_were(
    earlier: tuple[Path, Path], options: Callable[[Path], list[str]], message: str
) -> None:
    out, trace = earlier
    before = out.read_bytes(), trace.read_bytes()

    result = rafa(*RUN, "--force", "--out", str(out), "--trace", str(trace), *options(out.parent))

    assert_one_line_error(result, message)
    assert (out.read_bytes(), trace.read_bytes()) == before


def test_an_unreachable_provider_leaves_earlier_results_as_they_were(
    earlier: tuple[Path, Path], virtual_time: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Results are written only once there is one: the provider failed first.
    # (The trace, also forced, records the failed attempts: that is its job.)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    out, _ = earlier
    before = out.read_bytes()
    url = f"http://127.0.0.1:{closed_port()}/v1"

    result = rafa("run", "game24", "--puzzles", "901-906", "--provider", "openai:gpt-4o-mini",
                  "--base-url", url, "--force", "--out", str(out))  # fmt: skip

    assert_one_line_error(result, "could not connect")
    assert out.read_bytes() == before


@pytest.mark.parametrize(
    ("command", "option", "name"),
    [(RUN, "--out", "x.jsonl"), (RUN, "--trace", "t.jsonl"), (PLAY, "--log", "m.msgpack")],
)
def test_an_existing_output_is_refused_without_resume_or_force(
    tmp_path: Path, command: tuple[str, ...], option: str, name: str
) -> None:
    existing = tmp_path / name
    existing.write_bytes(b"precious\n")

    result = rafa(*command, option, str(existing))

    assert_one_line_error(result, option, str(existing), "--resume", "--force")
    assert existing.read_bytes() == b"precious\n"


def test_force_overwrites_and_an_empty_file_needs_no_flag(tmp_path: Path) -> None:
    full, empty = tmp_path / "full.jsonl", tmp_path / "empty.jsonl"
    full.write_text("old\n")
    empty.touch()

    assert rafa(*RUN, "--force", "--out", str(full)).exit_code == 0
    assert rafa(*RUN, "--out", str(empty)).exit_code == 0
    assert len(full.read_text().splitlines()) == len(empty.read_text().splitlines()) == 6


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--resume", "--force", "--out", "x.jsonl"], "--resume and --force exclude each other"),
        (["--resume"], "--resume continues the results in --out"),
        (["--resume", "--out", "-"], "--out must be a file, not '-'"),
        (["--out", "/nonexistent/dir/x.jsonl"], "no such folder /nonexistent/dir"),
    ],
)
def test_output_options_that_cannot_work_are_one_line_errors(
    options: list[str], message: str
) -> None:
    assert_one_line_error(rafa(*RUN, *options), message)


# -- --resume ----------------------------------------------------------------------


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def outcomes(path: Path, key: str) -> dict[Any, dict[str, Any]]:
    """Each task's record, without its timing."""
    return {r[key]: {k: v for k, v in r.items() if k != "wall_s"} for r in lines(path)}


def test_resume_runs_only_the_missing_tasks_and_ends_as_one_whole_run(tmp_path: Path) -> None:
    whole, resumed, trace = tmp_path / "whole.jsonl", tmp_path / "part.jsonl", tmp_path / "t.jsonl"
    assert rafa(*RUN, "--out", str(whole)).exit_code == 0
    written = whole.read_bytes().splitlines(keepends=True)
    # Two finished records, and a third torn by a crash in the middle of its line.
    torn = written[2][:40]
    resumed.write_bytes(b"".join(written[:2]) + torn)
    done = {json.loads(line)["rank"] for line in written[:2]}

    result = rafa(*RUN, "--resume", "--out", str(resumed), "--trace", str(trace))

    assert result.exit_code == 0, result.output
    assert outcomes(resumed, "rank") == outcomes(whole, "rank")
    assert len(lines(resumed)) == 6  # no task twice
    started = {e.episode for e in read_events(trace) if isinstance(e, EpisodeStarted)}
    assert started == {f"game24-{rank}" for rank in range(901, 907)} - {
        f"game24-{rank}" for rank in done
    }
    assert (tmp_path / "part.jsonl.torn").read_bytes() == torn  # kept, out of the way
    assert "6 (ranks 901-906)" in result.stdout  # the summary covers every record


def test_resume_refuses_results_made_with_other_settings(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    assert rafa(*RUN, "--out", str(out)).exit_code == 0
    before = out.read_bytes()

    result = rafa(*RUN, "--resume", "--seed", "3", "--out", str(out))

    assert_one_line_error(result, "--resume", str(out), "seed=0, not seed=3")
    assert out.read_bytes() == before


def test_resume_takes_results_written_before_a_setting_existed_as_its_default(
    tmp_path: Path,
) -> None:
    """A line that does not record a setting (written by an older rafa) was
    made with its default: resuming with the default continues it, resuming
    with another value is refused."""
    out = tmp_path / "out.jsonl"
    assert rafa(*RUN, "--out", str(out)).exit_code == 0
    old = [json.loads(line) for line in out.read_text().splitlines()][:2]
    for record in old:
        del record["config"]["learn"]
    out.write_text("".join(json.dumps(record) + "\n" for record in old))

    assert rafa(*RUN, "--resume", "--out", str(out)).exit_code == 0
    assert len(lines(out)) == 6
    out.write_text("".join(json.dumps(record) + "\n" for record in old))
    refused = rafa(*RUN, "--resume", "--learn", "reflect", "--out", str(out))
    assert_one_line_error(refused, "learn='raw', not learn='reflect'")


def test_resume_refuses_a_file_that_is_not_results_of_this_command(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text('{"some": "json"}\n')

    assert_one_line_error(rafa(*RUN, "--resume", "--out", str(out)), "line 1", "--force")


def test_resume_of_a_finished_run_runs_nothing(tmp_path: Path) -> None:
    out, trace = tmp_path / "out.jsonl", tmp_path / "t.jsonl"
    assert rafa(*RUN, "--out", str(out)).exit_code == 0
    before = out.read_bytes()

    result = rafa(*RUN, "--resume", "--out", str(out), "--trace", str(trace))

    assert result.exit_code == 0, result.output
    assert out.read_bytes() == before
    assert not trace.exists()  # nothing happened, so nothing was written
    assert "6 (ranks 901-906)" in result.stdout


def test_play_resume_replays_training_for_its_memory_and_ends_as_one_series(
    tmp_path: Path,
) -> None:
    whole, part = tmp_path / "whole.jsonl", tmp_path / "part.jsonl"
    whole_log, part_log = tmp_path / "whole-log.jsonl", tmp_path / "part-log.jsonl"
    assert rafa(*PLAY, "--out", str(whole), "--log", str(whole_log)).exit_code == 0
    # Stopped after both training matches and one evaluation match: the other
    # evaluation matches must start from the memory the training built.
    kept = {"tictactoe-0", "tictactoe-1", "tictactoe-2"}
    part.write_text("".join(line + "\n" for line in whole.read_text().splitlines()
                            if json.loads(line)["match"] in kept))  # fmt: skip
    part_log.write_text("".join(line + "\n" for line in whole_log.read_text().splitlines()
                                if json.loads(line).get("match") in kept))  # fmt: skip

    result = rafa(*PLAY, "--resume", "--out", str(part), "--log", str(part_log))

    assert result.exit_code == 0, result.output
    assert outcomes(part, "match") == outcomes(whole, "match")
    assert len(lines(part)) == 6
    assert "6 matches" in result.stdout
    replayed = rafa("play", "--replay", str(part_log))  # the log holds each match once
    assert "6 identical, 0 different" in replayed.stdout


# -- '-': stdout -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "option", "count"),
    [(RUN, "--out", 6), (PLAY, "--out", 6), (RUN, "--trace", None)],
)
def test_dash_writes_json_lines_on_stdout_and_the_text_on_stderr(
    command: tuple[str, ...], option: str, count: int | None
) -> None:
    result = rafa(*command, option, "-")

    assert result.exit_code == 0, result.output
    written = [json.loads(line) for line in result.stdout.splitlines()]
    assert written
    assert count is None or len(written) == count
    assert "SIMULATED" in result.stderr  # the table, labelled, out of the way
    assert not Path("-").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--out", "-", "--trace", "-"], "only one output can go to stdout"),
        (["--cache", "-"], "--cache needs a file, not '-'"),
        (["--record-llm", "-"], "--record-llm needs a file, not '-'"),
    ],
)
def test_dash_where_it_cannot_work_is_one_line_error(options: list[str], message: str) -> None:
    assert_one_line_error(rafa(*RUN, *options), message)
