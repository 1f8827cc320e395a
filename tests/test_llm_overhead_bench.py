"""benchmarks/llm_overhead.py runs end to end: a tiny run against a real
``rafa sim-serve`` process (loopback), with a few of its clients, each in its
own process; the JSON report has every row and goal asked for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rafa_async.llm import SIM_LABEL

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "llm_overhead.py"
CLIENTS = ["a", "b", "c", "d", "f-stack-trio"]


def test_a_tiny_run_reports_every_client_and_goal(tmp_path: Path) -> None:
    command = [sys.executable, str(SCRIPT), "--requests", "20", "--rounds", "1"]
    command += ["--concurrency", "4", "--out", str(tmp_path), "--clients", *CLIENTS]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert SIM_LABEL in result.stdout
    report = json.loads((tmp_path / "llm_overhead.json").read_text())
    assert report["simulated"] is True
    assert report["machine"]["cpu_count"] >= 1
    rows = {row["client"]: row for row in report["rows"]}
    assert sorted(rows) == sorted(CLIENTS)
    assert rows["d"]["requests"] == 8  # a tenth for httpx, but 2 per task at least
    for name in CLIENTS:
        row = rows[name]
        assert row["concurrency"] == 4
        assert row["requests_per_s"] > 0
        assert 0 < row["p50_ms"] <= row["p99_ms"]
        assert row["client_cpu_us"] > 0
        # Only the HTTP clients have a server; its CPU is measured beside theirs.
        assert (row["server_cpu_us"] is None) == name.startswith("f-")
    layers = report["middleware_layers_us_over_bare_sim"]
    assert sorted(layers) == ["asyncio", "trio"]
    assert "Timeout(120 s)" in layers["trio"]
    goals = {goal["name"][:3]: goal for goal in report["goals"]}
    assert sorted(goals) == ["(b)", "(c)"]
    ratio = rows["c"]["client_cpu_us"] / rows["a"]["client_cpu_us"]
    assert goals["(c)"]["measured"] == pytest.approx(ratio, abs=1e-3)
    assert goals["(c)"]["met"] == (ratio <= 2.0)
