"""The benchmark suite of ``rafa bench``: the scripts of a directory, the
machine they ran on, and one script run as a child process.

A benchmark is a script ``benchmarks/NAME.py`` (a name starting with ``_``
is a helper, not a benchmark).  It writes its figures as one JSON object to
the file ``$RAFA_BENCH_OUT`` names (benchmarks/_report.py), so a suite run
never overwrites the reference results under benchmarks/results/, and
takes ``--quick`` for a run of seconds.  A script with the line
:data:`MANUAL_MARK` runs only when named (a calibration of hours is not a
measurement).  Each runs alone, one after another: benchmarks that measure
latency must not share the CPU with each other.
"""

from __future__ import annotations

import ast
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import anyio

from rafa_async.llm import SIM_LABEL

OUT_ENV = "RAFA_BENCH_OUT"
"""The variable naming the file a script writes its JSON report to."""
MANUAL_MARK = "# rafa bench: not in the default suite"
STDERR_TAIL = 20
"""Lines of a failed script's stderr kept in the results."""


@dataclass(frozen=True, slots=True)
class Script:
    """One benchmark: its name, file, the first line of its docstring, and
    whether ``rafa bench`` without names runs it."""

    name: str
    path: Path
    summary: str
    in_suite: bool


def discover(directory: Path) -> dict[str, Script]:
    """The benchmarks of ``directory``, by name, sorted."""
    scripts = {}
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        text = path.read_text(encoding="utf-8")
        try:
            docstring = ast.get_docstring(ast.parse(text)) or ""
        except SyntaxError:
            docstring = ""  # reported when it runs, as any failing script
        summary = docstring.strip().split("\n")[0] if docstring.strip() else ""
        in_suite = not any(line.startswith(MANUAL_MARK) for line in text.splitlines())
        scripts[path.stem] = Script(path.stem, path, summary, in_suite)
    return scripts


# -- the machine -------------------------------------------------------------------


def describe_machine(checkout: Path) -> dict[str, Any]:
    """What a reader needs to weigh the figures: hardware, Python, the
    rafa-async version and commit, and when.  ``None`` where unreadable."""
    commit, dirty = git_state(checkout)
    return {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_gib": memory_gib(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "rafa_async": metadata.version("rafa-async"),
        "git_commit": commit,
        "git_dirty": dirty,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def cpu_model() -> str | None:
    """The CPU's model name (Linux: /proc/cpuinfo; elsewhere what Python knows)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                if key.strip() == "model name":
                    return value.strip()
    except OSError:
        pass
    return platform.processor() or None


def memory_gib() -> float | None:
    """Physical memory in GiB (``None`` where the OS does not say)."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
    return round(pages * size / 2**30, 1)


def git_state(checkout: Path) -> tuple[str | None, bool | None]:
    """The checkout's commit and whether tracked files differ from it
    (``None, None``: not a git checkout, or no git)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(checkout), *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = git("status", "--porcelain", "--untracked-files=no")
    return commit, None if status is None else bool(status)


# -- one run -----------------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """One script's run: its JSON report, or why there is none."""

    name: str
    command: list[str]
    seconds: float
    exit_status: int
    output: str
    report: dict[str, Any] | None = None
    problem: str | None = None
    stderr_tail: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report is not None

    def run_record(self) -> dict[str, Any]:
        """What the combined results say of this run beside its figures."""
        record: dict[str, Any] = {
            "command": self.command,
            "seconds": round(self.seconds, 3),
            "exit_status": self.exit_status,
        }
        if self.report is not None:
            record["simulated"] = simulated(self.report)
        return record

    def failure_record(self) -> dict[str, Any]:
        return {**self.run_record(), "problem": self.problem, "stderr_tail": self.stderr_tail}


def simulated(report: dict[str, Any]) -> bool | None:
    """Whether a script's report says its LLM was the simulated one (``None``:
    it does not say -- no LLM, or a script that does not tell)."""
    said = report.get("simulated")
    if isinstance(said, bool):
        return said
    label = report.get("label")
    return True if isinstance(label, str) and SIM_LABEL in label else None


async def run_script(script: Script, *, quick: bool, extra: list[str]) -> Outcome:
    """Run ``script`` with this interpreter (its checkout as the working
    directory, as ``make bench`` does) and read its report.  Cancelling
    kills the child."""
    command = [sys.executable, str(script.path), *(["--quick"] if quick else []), *extra]
    with tempfile.TemporaryDirectory(prefix="rafa-bench-") as scratch:
        report_file = Path(scratch) / f"{script.name}.json"
        started = time.perf_counter()
        done = await anyio.run_process(
            command,
            check=False,
            cwd=script.path.parent.parent,
            env={**os.environ, OUT_ENV: str(report_file), "COLUMNS": "120"},
        )
        seconds = time.perf_counter() - started
        stdout = done.stdout.decode(errors="replace")
        stderr = done.stderr.decode(errors="replace")
        outcome = Outcome(script.name, command, seconds, done.returncode, stdout)
        if done.returncode != 0:
            outcome.problem = f"exit status {done.returncode}"
        elif not report_file.exists():
            outcome.problem = f"wrote no JSON report (to ${OUT_ENV})"
        else:
            try:
                report = json.loads(report_file.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as error:
                outcome.problem = f"its JSON report is not JSON: {error}"
            else:
                if isinstance(report, dict):
                    outcome.report = report
                else:
                    outcome.problem = "its JSON report is not an object"
    if not outcome.ok:
        outcome.stderr_tail = stderr.rstrip().splitlines()[-STDERR_TAIL:]
    return outcome
