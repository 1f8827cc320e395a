"""Write a study's report: ``report.md``, ``report.html``, the PNGs, ``results.json``.

Laid out like the paper: one success table (rows: benchmarks; columns:
agents), each cell with its 95% interval and LLM calls, and the paper's
figures under ours; then each benchmark's success against interactions,
the memory ablation (the effect of learning), the learning curves, what
this build could not run and why, and the LLM calls and cost.  Rendered
as the tournament report is (:func:`~rafa_async.app.write_document`);
every table and figure names its LLM, and with the sim the report says
that the sim is not a language model.
"""

from __future__ import annotations

import os
import re
from functools import partial
from pathlib import Path

import msgspec

from rafa_async._errors import ConfigError
from rafa_async.app._curve_files import can_plot
from rafa_async.app._report_render import (
    HTML_FILE,
    MARKDOWN_FILE,
    NO_PLOTS,
    Document,
    Plots,
    Section,
    Table,
    with_plot,
    write_document,
)
from rafa_async.app._study_plots import curves_png, learning_png, llm_line, success_png
from rafa_async.app._study_results import PartResult, StudyCell, StudyResults

RESULTS_FILE = "results.json"
SUCCESS_PLOT = "success.png"
LEARNING_PLOT = "learning.png"
SIM_IS_NOT_AN_LLM = (
    "The LLM is the SIMULATED LLM (sim), which is not a language model: it answers each "
    "prompt from the benchmark's exact oracle through a noisy belief channel, the same "
    "noise for every agent, fitted on the baselines only. These numbers show what the "
    "algorithms do under that noise; they are not a measurement of any real model."
)
CI_NOTE = (
    "Success over every episode (tasks x seeds) with a 95% Wilson interval; "
    "'calls': mean LLM calls per episode."
)


class StudyFiles(msgspec.Struct, frozen=True, kw_only=True):
    """What :func:`write_study` wrote (``plotted``: whether there are PNGs)."""

    results: Path
    markdown: Path
    html: Path
    plots: tuple[Path, ...]
    plotted: bool

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.results, self.markdown, self.html, *self.plots)


def pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def cell_text(cell: StudyCell) -> str:
    """``85.0% [81.0-89.0] · 532 calls``, and how many episodes the budget
    cut short when it did (``· 44/57 cut by the budget``): a success rate
    under a budget that binds says as much about the budget as the agent."""
    text = (
        f"{pct(cell.success)} [{100 * cell.ci_low:.1f}-{100 * cell.ci_high:.1f}] · "
        f"{cell.llm_calls_per_episode:,.0f} calls"
    )
    if cell.budget_spent:
        text += f" · {cell.budget_spent}/{cell.episodes} cut by the budget"
    return text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _success(results: StudyResults, plots: Plots) -> Section:
    columns = list(dict.fromkeys(c.column for p in results.parts for c in p.cells))
    rows = []
    for part in results.parts:
        cells = {c.column: c for c in part.cells}
        episodes = f"{part.cells[0].episodes // len(part.seeds)} x {len(part.seeds)}"
        rows.append(
            (
                part.row,
                episodes,
                f"{part.llm_call_budget:,}",
                *(cell_text(cells[c]) if c in cells else "-" for c in columns),
            )
        )
        if part.paper:
            rows.append((f"{part.row}: paper", "", "", *(part.paper.get(c, "") for c in columns)))
    notes = [
        llm_line(results.provider, results.simulated),
        CI_NOTE,
        "Budget: the LLM calls each episode may start; an episode that reaches it ends there, "
        "scored as it stands.",
    ]
    notes += [
        f"Paper figures for {p.row}: {p.paper_source}." for p in results.parts if p.paper_source
    ]
    section = Section(
        title="Success rates",
        notes=tuple(notes),
        table=Table(headers=("benchmark", "tasks x seeds", "budget", *columns), rows=tuple(rows)),
    )
    if not results.parts:
        return msgspec.structs.replace(section, notes=(*notes, "No benchmark ran."))
    return with_plot(section, plots, SUCCESS_PLOT, lambda: success_png(results))


def _details(part: PartResult, results: StudyResults, plots: Plots) -> Section:
    marks = sorted({k for k in (1, 4, 8, 12, part.cap) if k <= part.cap})
    rows = []
    for cell, curve in zip(part.cells, part.curves, strict=True):
        at = {p.interactions: p for p in curve.points}
        rows.append(
            (
                cell.column,
                f"{cell.solved}/{cell.episodes}",
                cell_text(cell),
                *(pct(at[k].success) for k in marks),
                f"{cell.budget_spent}",
                f"{cell.errors}",
            )
        )
    settings = ", ".join(f"{k}={v}" for k, v in part.settings.items()) or "the defaults"
    section = Section(
        title=f"{part.row}: success against environment interactions",
        notes=(
            llm_line(results.provider, results.simulated),
            f"Benchmark {part.scenario}, tasks {part.tasks}, seeds "
            f"{', '.join(map(str, part.seeds))}, at most {part.cap} interactions and "
            f"{part.llm_call_budget:,} LLM calls per episode; search settings: {settings}.",
            "Success within k interactions (cumulative; the last column is the cap).",
        ),
        table=Table(
            headers=(
                "agent",
                "solved",
                "success · calls",
                *(f"k={k}" for k in marks),
                "ended by budget",
                "provider errors",
            ),
            rows=tuple(rows),
        ),
    )
    name = f"curves-{_slug(part.row)}.png"
    return with_plot(
        section, plots, name, lambda: curves_png(part, results.provider, results.simulated)
    )


def _ablation(results: StudyResults) -> Section:
    rows = tuple(
        (
            a.row,
            cell_text(a.with_memory),
            cell_text(a.without_memory),
            f"{100 * a.difference:+.1f} points [{100 * a.ci_low:+.1f}, {100 * a.ci_high:+.1f}]",
        )
        for a in results.ablations
    )
    notes = (
        llm_line(results.provider, results.simulated),
        "RAFA against RAFA with its memory disabled (--no-memory: it stores nothing it "
        "observes and plans every step from an empty memory); the same search, tasks and "
        "seeds. The difference is the effect of learning, with Newcombe's 95% interval.",
    )
    if not rows:
        return Section(title="Memory ablation", notes=(*notes, "No benchmark ran it."))
    return Section(
        title="Memory ablation: the effect of learning",
        notes=notes,
        table=Table(headers=("benchmark", "RAFA", "RAFA (no memory)", "difference"), rows=rows),
    )


def _learning(results: StudyResults, plots: Plots) -> list[Section]:
    by_part: dict[str, list[int]] = {}
    for i, curve in enumerate(results.learning):
        by_part.setdefault(curve.part, []).append(i)
    sections = []
    for n, (part, indices) in enumerate(by_part.items()):
        curves = [results.learning[i] for i in indices]
        rows = tuple(
            (
                c.label,
                ", ".join(map(str, c.seeds)),
                *(
                    f"{p.score:+.2f} [{p.ci_low:+.2f}, {p.ci_high:+.2f}] after {p.episodes}"
                    for p in (c.points[0], c.points[-1])
                ),
            )
            for c in curves
            if c.points
        )
        section = Section(
            title=part,
            notes=(llm_line(curves[0].provider, any(c.simulated for c in curves)),),
            table=Table(headers=("curve", "seeds", "first", "last"), rows=rows),
        )
        name = LEARNING_PLOT if n == 0 else f"learning-{n}.png"
        sections.append(with_plot(section, plots, name, partial(learning_png, curves)))
    return sections


def _unavailable(results: StudyResults) -> Section:
    rows = tuple((u.part, u.column or "(all)", u.reason) for u in results.unavailable)
    return Section(
        title="Not available in this build",
        notes=("Nothing is run in their place; they join the study once their parts are in.",),
        table=Table(headers=("part", "agent", "why"), rows=rows),
    )


def _cost(results: StudyResults) -> Section:
    if results.simulated:
        cost = "none (simulated)"
    else:
        cost = (
            "unknown (a model without a price)"
            if results.cost_usd is None
            else (f"${results.cost_usd:,.4f}")
        )
    notes = [
        f"{llm_line(results.provider, results.simulated)}: {results.llm_calls:,} LLM calls, "
        f"{results.tokens:,} tokens, cost {cost}; wall time {results.wall_s:,.1f} s."
    ]
    estimate = results.estimate
    if estimate is None:
        return Section(title="LLM calls and cost", notes=tuple(notes))
    notes.append(f"Stated before the run: {estimate.summary()}.")
    rows = tuple(
        (
            line.row,
            f"{line.episodes:,}",
            f"{line.max_calls:,}",
            f"{line.prompt_tokens:,}",
            f"{line.completion_tokens:,}",
        )
        for line in estimate.lines
    )
    return Section(
        title="LLM calls and cost",
        notes=tuple(notes),
        table=Table(
            headers=(
                "benchmark",
                "episodes",
                "at most calls",
                "prompt tokens",
                "completion tokens",
            ),
            rows=rows,
        ),
    )


def study_document(results: StudyResults, plots: Plots) -> Document:
    """The report of ``results``; the plots drawn into ``plots`` (``None``: none)."""
    lead = [
        f"Study {results.study!r}: {len(results.parts)} benchmark(s) and "
        f"{len({c.part for c in results.learning})} learning protocol(s), "
        f"{results.seeds} seed(s) each. {llm_line(results.provider, results.simulated)}."
    ]
    if results.simulated:
        lead.append(SIM_IS_NOT_AN_LLM)
    if results.quick:
        lead.append("--quick: a tiny configuration (a smoke test of the protocol, not the study).")
    if plots is None:
        lead.append(NO_PLOTS)
    sections = [_success(results, plots)]
    sections += [_details(part, results, plots) for part in results.parts]
    sections.append(_ablation(results))
    sections += _learning(results, plots)
    if results.unavailable:
        sections.append(_unavailable(results))
    sections.append(_cost(results))
    return Document(
        title=f"RAFA study {results.study} · {llm_line(results.provider, results.simulated)}",
        lead=tuple(lead),
        sections=tuple(sections),
    )


def write_study(
    results: StudyResults, out_dir: str | os.PathLike[str], *, plot: bool | None = None
) -> StudyFiles:
    """Write ``results.json`` and the report of ``results`` into ``out_dir``
    (created); ``plot``: draw the PNGs (default: when matplotlib is installed).
    :class:`~rafa_async.ConfigError` if it cannot be written.  Blocking."""
    out = Path(out_dir)
    plots: Plots = {} if (can_plot() if plot is None else plot) else None
    written = write_document(study_document(results, plots), plots, out)
    path = out / RESULTS_FILE
    try:
        path.write_bytes(msgspec.json.format(msgspec.json.encode(results)) + b"\n")
    except OSError as exc:
        raise ConfigError(
            f"--out {out}: cannot write {RESULTS_FILE} there ({exc.strerror or exc})",
            fields=("out",),
        ) from None
    return StudyFiles(
        results=path,
        markdown=out / MARKDOWN_FILE,
        html=out / HTML_FILE,
        plots=written,
        plotted=plots is not None,
    )
