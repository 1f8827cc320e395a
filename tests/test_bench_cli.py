"""``rafa bench``: the suite into one JSON + Markdown, and ``rafa bench compare``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support import assert_one_line_error, rafa, serving

from rafa_async.cli import _bench
from rafa_async.llm import SIM_LABEL

SUITE = Path(__file__).resolve().parent.parent / "benchmarks"

GOOD = '''"""Writes one figure."""
import json, os
print("a table")
open(os.environ["RAFA_BENCH_OUT"], "w").write(json.dumps({"wall_s": 1.5, "label": "x"}))
'''
BAD = '''"""Always fails."""
import sys
print("line 1\\nboom: the end", file=sys.stderr)
sys.exit(3)
'''


def test_list_names_every_benchmark_and_which_run_only_when_named() -> None:
    result = rafa("bench", "--list", "--dir", str(SUITE))

    assert result.exit_code == 0, result.output
    lines = {line.split()[1]: line for line in result.stdout.splitlines() if "│" in line[:2]}
    assert "provider_latency" in lines and "llm_overhead" in lines
    assert "_report" not in result.stdout  # a helper, not a benchmark
    assert "only when named" in lines["calibrate_sim"]
    assert "yes" in lines["provider_latency"]


@pytest.mark.parametrize(
    "script", sorted(p.name for p in SUITE.glob("*.py") if not p.name.startswith("_"))
)
def test_every_benchmark_takes_quick(script: str) -> None:
    # rafa bench --quick passes --quick to every script of the suite.
    shown = subprocess.run(
        [sys.executable, str(SUITE / script), "--help"], capture_output=True, text=True, check=True
    )
    assert "--quick" in shown.stdout


def test_an_unknown_name_is_one_error_listing_the_known_ones() -> None:
    result = rafa("bench", "nope", "--dir", str(SUITE))

    assert_one_line_error(result, "unknown benchmark 'nope'", "provider_latency", "llm_overhead")


def test_no_benchmarks_directory_says_to_run_from_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # as an install from a wheel: no suite here nor beside it
    monkeypatch.setattr(_bench, "PACKAGE_DIR", tmp_path / "site-packages" / "rafa_async")

    assert_one_line_error(rafa("bench"), "run rafa bench from a rafa-async checkout", "--dir")
    assert_one_line_error(rafa("bench", "--dir", "nowhere"), "--dir nowhere: no such directory")


def test_provider_options_need_the_provider_workload() -> None:
    result = rafa("bench", "middleware_overhead", "--base-url", "http://127.0.0.1:9/v1")

    assert_one_line_error(result, "--base-url applies only to provider_latency")


def test_two_real_scripts_run_quick_into_one_json_and_markdown(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = rafa(
        "bench", "middleware_overhead", "provider_latency", "--quick",
        "--dir", str(SUITE), "--out", str(out),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    combined = json.loads(out.read_text())
    machine = combined["machine"]
    assert machine["cpu_count"] >= 1 and machine["python"] and machine["rafa_async"]
    assert {"cpu_model", "git_commit", "date", "platform"} <= set(machine)
    assert combined["settings"]["quick"] is True
    assert combined["failed"] == {}
    benchmarks = combined["benchmarks"]
    assert sorted(benchmarks) == ["middleware_overhead", "provider_latency"]
    assert benchmarks["middleware_overhead"]["calls"] == 500  # its --quick size
    workload = benchmarks["provider_latency"]
    assert workload["simulated"] is True and workload["label"] == SIM_LABEL
    assert workload["samples"] == workload["requests"] == 40
    assert 0 < workload["p50_ms"] <= workload["p90_ms"] <= workload["p99_ms"]
    assert workload["p99_ms"] <= workload["p99_9_ms"]
    assert combined["runs"]["provider_latency"]["simulated"] is True
    assert combined["runs"]["middleware_overhead"]["seconds"] > 0
    summary = (tmp_path / "bench.md").read_text()
    assert "| provider_latency | ok |" in summary and "SIMULATED" in summary
    assert "UsageMeter" in summary  # the script's own table
    assert "SIMULATED" in result.stdout
    # The reference results under benchmarks/results/ are not touched: the
    # scripts wrote to $RAFA_BENCH_OUT (a fresh temporary file each).
    assert "wrote" in result.stdout


def test_a_failing_script_is_reported_and_the_others_still_written(tmp_path: Path) -> None:
    suite = tmp_path / "benchmarks"
    suite.mkdir()
    (suite / "good.py").write_text(GOOD)
    (suite / "bad.py").write_text(BAD)
    out = tmp_path / "r.json"

    result = rafa("bench", "--dir", str(suite), "--out", str(out), "--no-progress")

    assert result.exit_code == 1
    assert "bad failed: exit status 3" in result.stderr
    assert "boom: the end" in result.stderr
    combined = json.loads(out.read_text())
    assert combined["benchmarks"] == {"good": {"wall_s": 1.5, "label": "x"}}
    failed = combined["failed"]["bad"]
    assert failed["exit_status"] == 3 and failed["stderr_tail"][-1] == "boom: the end"
    assert "FAILED (exit status 3)" in (tmp_path / "r.md").read_text()
    # A second run does not overwrite them without --force.
    again = rafa("bench", "good", "--dir", str(suite), "--out", str(out))
    assert_one_line_error(again, str(out))


def results(**benchmarks: object) -> dict[str, object]:
    return {"machine": {"cpu_count": 2, "python": "3.11"}, "benchmarks": benchmarks}


def write(path: Path, content: object) -> Path:
    path.write_text(json.dumps(content))
    return path


def test_compare_gives_b_over_a_for_every_figure_in_both_and_lists_the_rest(
    tmp_path: Path,
) -> None:
    a = results(
        x={"p99_ms": 10.0, "calls_per_s": 100, "tokens": 7, "only_a": 1, "label": "sim",
           "rows": [{"client": "a", "wall_s": 2.0}, {"client": "b", "wall_s": 4.0}]},
    )  # fmt: skip
    b = results(
        x={"p99_ms": 5.0, "calls_per_s": 50, "tokens": 7, "only_b": 2, "label": "real",
           "rows": [{"client": "b", "wall_s": 1.0}, {"client": "a", "wall_s": 3.0}]},
    )  # fmt: skip
    a_file, b_file = write(tmp_path / "a.json", a), write(tmp_path / "b.json", b)

    result = rafa("bench", "compare", str(a_file), str(b_file), "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    rows = {f["key"]: f for f in report["figures"]}
    assert rows["benchmarks.x.p99_ms"] == {
        "key": "benchmarks.x.p99_ms", "a": 10.0, "b": 5.0, "ratio": 0.5,
        "better": "lower", "verdict": "b better",
    }  # fmt: skip
    assert rows["benchmarks.x.calls_per_s"]["ratio"] == 0.5
    assert rows["benchmarks.x.calls_per_s"]["verdict"] == "b worse"
    assert rows["benchmarks.x.tokens"]["better"] is None  # the name does not say
    # Rows line up by their text fields, not their position.
    assert rows["benchmarks.x.rows[client=a].wall_s"]["ratio"] == 1.5
    assert rows["benchmarks.x.rows[client=b].wall_s"]["ratio"] == 0.25
    assert report["only_in_a"] == ["benchmarks.x.only_a"]
    assert report["only_in_b"] == ["benchmarks.x.only_b"]
    assert report["differing_texts"] == [{"key": "benchmarks.x.label", "a": "sim", "b": "real"}]
    assert report["machine"]["a"]["cpu_count"] == 2

    table = rafa("bench", "compare", str(a_file), str(b_file))
    assert table.exit_code == 0, table.output
    assert "only in a (1): benchmarks.x.only_a" in table.stdout
    assert "benchmarks.x.p99_ms" in table.stdout and "0.500" in table.stdout


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (None, "cannot read"),
        ("{not json", "is not JSON"),
        ('{"machine": {}}', "is not a rafa bench result"),
    ],
)
def test_compare_refuses_a_missing_or_invalid_file(
    tmp_path: Path, content: str | None, fragment: str
) -> None:
    good = write(tmp_path / "good.json", results())
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content)

    assert_one_line_error(rafa("bench", "compare", str(good), str(bad)), str(bad), fragment)


@pytest.mark.slow
def test_the_provider_workload_against_two_sim_serve_endpoints_compares(tmp_path: Path) -> None:
    runs = []
    with serving("--latency-scale", "0") as fast, serving("--latency-scale", "0.2") as slow:
        for server in (fast, slow):
            out = tmp_path / f"{len(runs)}.json"
            result = rafa(
                "bench", "provider_latency", "--provider", "openai:sim", "--base-url",
                server.base_url, "--send-intent", "--requests", "20", "--concurrency", "4",
                "--dir", str(SUITE), "--out", str(out),
            )  # fmt: skip
            assert result.exit_code == 0, result.output
            runs.append(out)
    workload = json.loads(runs[0].read_text())["benchmarks"]["provider_latency"]
    assert workload["provider"] == "openai:sim" and workload["base_url"] == fast.base_url
    assert workload["simulated"] is True  # sim-serve's answers say so
    assert workload["samples"] == 20 and workload["failed"] == 0

    compared = rafa("bench", "compare", str(runs[0]), str(runs[1]), "--json")
    assert compared.exit_code == 0, compared.output
    report = json.loads(compared.stdout)
    assert report["simulated"] == {"a": ["provider_latency"], "b": ["provider_latency"]}
    urls = [t for t in report["differing_texts"] if t["key"].endswith("base_url")]
    assert urls == [{"key": "benchmarks.provider_latency.base_url", "a": fast.base_url,
                     "b": slow.base_url}]  # fmt: skip
    p50 = next(f for f in report["figures"] if f["key"].endswith(".p50_ms"))
    assert p50["ratio"] > 1  # the sim's latency model on the slow endpoint
