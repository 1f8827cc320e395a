"""What ``rafa bench`` writes: one JSON of every benchmark's figures, with
the machine, and a Markdown summary a person reads (or pastes in a paper's
notes)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rafa_async.cli._bench_suite import Outcome, Script
from rafa_async.llm import SIM_LABEL


def combined(
    machine: dict[str, Any],
    settings: dict[str, Any],
    outcomes: Sequence[Outcome],
    *,
    interrupted: bool,
) -> dict[str, Any]:
    """``{"machine", "settings", "benchmarks": {name: its JSON}, "runs":
    {name: command, seconds, simulated}, "failed": {name: why}, ...}``."""
    return {
        "machine": machine,
        "settings": settings,
        "benchmarks": {o.name: o.report for o in outcomes if o.ok},
        "runs": {o.name: o.run_record() for o in outcomes if o.ok},
        "failed": {o.name: o.failure_record() for o in outcomes if not o.ok},
        "interrupted": interrupted,
    }


def llm_column(outcome: Outcome) -> str:
    """How the summary names the LLM a benchmark used (blank: it does not say)."""
    if outcome.report is None:
        return ""
    said = outcome.run_record().get("simulated")
    if said is True:
        return "SIMULATED"
    provider = outcome.report.get("provider")
    return f"real: {provider}" if said is False and provider else ""


def markdown(
    results: dict[str, Any], outcomes: Sequence[Outcome], scripts: dict[str, Script]
) -> str:
    """The summary: the machine, one row per benchmark, then each one's own
    printed tables and its failure, if any."""
    machine = results["machine"]
    lines = [f"# rafa bench, {machine['date']}", ""]
    if results["settings"].get("quick"):
        lines += [
            "**--quick**: runs of seconds, to check the suite works; the figures say little.",
            "",
        ]
    if any(llm_column(o) == "SIMULATED" for o in outcomes):
        lines += [f"Benchmarks marked SIMULATED ran on the {SIM_LABEL}.", ""]
    if results["interrupted"]:
        lines += [
            "**Interrupted** (Ctrl-C): the benchmarks after the last one below did not run.",
            "",
        ]
    lines += ["## Machine", "", "| | |", "|---|---|"]
    lines += [f"| {key} | {_cell(value)} |" for key, value in machine.items()]
    lines += ["", "## Benchmarks", "", "| benchmark | result | seconds | LLM | what |"]
    lines += ["|---|---|---:|---|---|"]
    for o in outcomes:
        status = "ok" if o.ok else f"FAILED ({o.problem})"
        summary = scripts[o.name].summary
        lines.append(f"| {o.name} | {status} | {o.seconds:.1f} | {llm_column(o)} | {summary} |")
    for o in outcomes:
        lines += ["", f"## {o.name}", "", f"`{' '.join(o.command)}`", ""]
        if o.output.strip():
            lines += ["```text", o.output.rstrip(), "```"]
        if not o.ok:
            lines += ["", f"**Failed**: {o.problem}. The end of its stderr:", "", "```text"]
            lines += [*o.stderr_tail, "```"]
    return "\n".join(lines) + "\n"


def _cell(value: object) -> str:
    return "" if value is None else str(value).replace("|", "\\|")


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_json(path: Path, results: dict[str, Any]) -> None:
    write(path, json.dumps(results, indent=2, default=str) + "\n")
