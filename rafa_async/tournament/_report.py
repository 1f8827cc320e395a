"""``rafa tournament report``: a tournament's results as Markdown and one HTML page.

:func:`write_report` reads the database (see
:mod:`rafa_async.tournament._report_data`) and writes into ``out_dir``:

- ``report.md``, which links the plots' PNG files next to it;
- ``report.html``, the same report as one self-contained page (the PNGs
  embedded as ``data:`` URIs, its own CSS: no reference outside the file);
- the PNGs (with matplotlib, the ``plot`` extra; without it the tables are
  written anyway and say how to get the plots).

The sections: the matches' counts (and every failed match with its reason),
ratings with intervals and the pairwise score heatmap, per-participant
decision and LLM-call latency percentiles (p50/p90/p99/p99.9), cost per
game, and a timeline of one decision's LLM calls with its critical path
(defined in :mod:`rafa_async.tournament._latency`).  Every table says which
LLM its results came from; a simulated one is named SIMULATED.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from rafa_async.app import (
    HTML_FILE as HTML_FILE,
    MARKDOWN_FILE as MARKDOWN_FILE,
    NO_PLOTS,
    Document,
    Plots,
    Section,
    Table,
    can_plot,
    number,
    with_plot,
    write_document,
)
from rafa_async.tournament._db import TournamentDB
from rafa_async.tournament._latency import (
    PERCENTILES,
    DecisionKey,
    critical_path,
    end,
    parse_decision,
    percentiles,
)
from rafa_async.tournament._report_data import (
    ParticipantStats,
    ReportData,
    provider_label,
    read_report_data,
)
from rafa_async.tournament._report_plots import cost_png, distribution_png, gantt_png
from rafa_async.tournament._report_ratings import rating_sections


class ReportFiles(msgspec.Struct, frozen=True, kw_only=True):
    """What :func:`write_report` wrote.  ``plotted``: whether matplotlib
    drew the plots (``False``: the tables only); ``decision``: the decision
    the timeline shows (``None``: no decision made an LLM call)."""

    markdown: Path
    html: Path
    plots: tuple[Path, ...]
    plotted: bool
    decision: DecisionKey | None

    @property
    def paths(self) -> tuple[Path, ...]:
        return (self.markdown, self.html, *self.plots)


def write_report(
    db: TournamentDB,
    out_dir: str | os.PathLike[str],
    *,
    decision: str | DecisionKey | None = None,
    plot: bool | None = None,
) -> ReportFiles:
    """Write the report of ``db`` into ``out_dir`` (created; the report's
    own files in it are replaced).  ``decision``: the timeline's decision,
    ``MATCH_ID:SEAT:TURN`` (default: the one with the most LLM calls);
    ``plot``: draw the plots (default: when matplotlib is installed).

    :class:`ConfigError` naming the problem for a ``decision`` that is
    malformed or was not made, or an ``out_dir`` that cannot be written.
    Blocking (reads the database, draws, writes files); nothing cancels it
    midway, so an async caller runs it in a worker thread."""
    key = parse_decision(decision) if isinstance(decision, str) else decision
    data = read_report_data(db)
    chosen = data.chosen(key)
    out = Path(out_dir)
    plots: Plots = {} if (can_plot() if plot is None else plot) else None
    document = _document(data, chosen, by_option=key is not None, plots=plots)
    written = write_document(document, plots, out)
    return ReportFiles(
        markdown=out / MARKDOWN_FILE,
        html=out / HTML_FILE,
        plots=written,
        plotted=plots is not None,
        decision=chosen,
    )


def _document(
    data: ReportData, chosen: DecisionKey | None, *, by_option: bool, plots: Plots
) -> Document:
    lead = [
        f"Games: {', '.join(data.games)}; format: {data.format}; participants: "
        f"{', '.join(data.participants)}.",
        data.source(),
    ]
    if plots is None:
        lead.append(NO_PLOTS)
    sections = [_matches(data)]
    if data.finished == 0:
        lead.append("No finished matches yet: nothing to rate, time or cost.")
    else:
        sections += rating_sections(data, plots)
        sections += [
            _decision_latency(data, plots),
            _call_latency(data, plots),
            _cost(data, plots),
            _timeline(data, chosen, by_option, plots),
        ]
    return Document(
        title=f"Tournament report: {data.name}", lead=tuple(lead), sections=tuple(sections)
    )


def _matches(data: ReportData) -> Section:
    c = data.counts
    notes = [data.source()]
    if data.failures:
        notes += [f"Failed: {match_id}: {reason}" for match_id, reason in data.failures]
    return Section(
        title="Matches",
        notes=tuple(notes),
        table=Table(
            headers=("planned", "finished", "failed", "running", "skipped (SPRT)"),
            rows=(
                (str(c.planned), str(c.finished), str(c.failed), str(c.running), str(data.skipped)),
            ),
        ),
    )


def _latency_section(
    data: ReportData,
    plots: Plots,
    *,
    title: str,
    what: str,
    sample: Callable[[ParticipantStats], Sequence[float]],
    extra: tuple[str, Callable[[ParticipantStats], int]],
    file: str,
) -> Section:
    headers = (
        "participant",
        "provider",
        "n",
        "mean ms",
        *(f"p{p:g} ms" for p in PERCENTILES),
        "max ms",
        extra[0],
    )
    rows = []
    series = {}
    for stats in data.stats.values():
        values = sample(stats)
        if not values:
            continue
        figures = percentiles(values)
        rows.append(
            (
                stats.name,
                stats.provider,
                str(figures.n),
                number(figures.mean, 1, 1e3),
                *(number(v, 1, 1e3) for v in figures.values or ()),
                number(figures.max, 1, 1e3),
                str(extra[1](stats)),
            )
        )
        series[stats.name] = values
    section = Section(
        title=title,
        notes=(
            data.source(),
            f"{what}; percentiles interpolate linearly between order statistics.",
        ),
        table=Table(headers=headers, rows=tuple(rows)),
    )
    if not series:
        return msgspec.structs.replace(section, notes=(*section.notes, "None recorded."))
    return with_plot(
        section,
        plots,
        file,
        lambda: distribution_png(data.titled(title), series, "seconds"),
    )


def _decision_latency(data: ReportData, plots: Plots) -> Section:
    return _latency_section(
        data,
        plots,
        title="Decision latency",
        what="Seconds from each of a participant's turns' start to its move (a late move: "
        "to its deadline); late: moves past the deadline",
        sample=lambda s: s.decisions,
        extra=("late", lambda s: s.late),
        file="decision_latency.png",
    )


def _call_latency(data: ReportData, plots: Plots) -> Section:
    return _latency_section(
        data,
        plots,
        title="LLM-call latency",
        what="Seconds each LLM call took, as its seat saw it (queueing in the shared "
        "limits included); failed: calls that ended in an error",
        sample=lambda s: s.call_latencies,
        extra=("failed", lambda s: s.failed_calls),
        file="call_latency.png",
    )


def _cost(data: ReportData, plots: Plots) -> Section:
    rows = []
    bars: list[tuple[str, float | None, float, float]] = []
    for s in data.stats.values():
        if not s.games:
            continue
        cost = None if s.cost_usd is None else s.cost_usd / s.games
        tokens = (s.prompt_tokens + s.completion_tokens) / s.games
        rows.append(
            (
                s.name,
                s.provider,
                str(s.games),
                "unknown" if cost is None else f"{cost:.4f}",
                number(tokens, 1),
                number(s.prompt_tokens / s.games, 1),
                number(s.completion_tokens / s.games, 1),
                number(s.llm_calls / s.games, 2),
            )
        )
        bars.append((s.name, cost, tokens, s.llm_calls / s.games))
    section = Section(
        title="Cost per game",
        notes=(
            data.source(),
            "Means over each participant's finished games.  $ by the price table; the "
            "simulated LLM costs nothing; unknown: a model the price table does not know.",
        ),
        table=Table(
            headers=(
                "participant",
                "provider",
                "games",
                "$ per game",
                "tokens per game",
                "prompt",
                "completion",
                "LLM calls per game",
            ),
            rows=tuple(rows),
        ),
    )
    return with_plot(
        section, plots, "cost.png", lambda: cost_png(data.titled("Cost per game"), bars)
    )


TIMELINE_DEFINITION = (
    "Critical path: start from the call that ended last; then repeatedly step to the call "
    "that ended latest before the current one started, until none did.  Its calls never "
    "overlap: their summed latency is LLM time that no concurrency could have hidden."
)


def _timeline(
    data: ReportData, chosen: DecisionKey | None, by_option: bool, plots: Plots
) -> Section:
    title = "Decision timeline"
    if chosen is None:
        return Section(title=title, notes=(data.source(), "No decision made an LLM call."))
    seat = data.participant(chosen)
    calls = data.decisions.get(chosen, [])
    why = "chosen with --decision" if by_option else "the decision with the most LLM calls"
    notes = [
        data.source(),
        f"Decision {chosen} ({why}): participant {seat.participant}, provider "
        f"{provider_label(seat.provider)}, {len(calls)} LLM calls.",
    ]
    if data.outside:
        notes.append(
            f"{data.outside} LLM calls started before their match's first turn (in no decision)."
        )
    if not calls:
        notes.append("It made no LLM call: no timeline to draw.")
        return Section(title=title, notes=tuple(notes))
    turns = data.turn_starts[chosen.match_id]
    origin = turns[chosen.turn - 1]
    turn_end = turns[chosen.turn] if chosen.turn < len(turns) else None
    path = critical_path(calls)
    on_path = {c.call for c in path}
    span = max(end(c) for c in calls) - min(c.start for c in calls)
    path_s = sum(c.latency for c in path)
    notes += [
        f"Calls span {span:.3f} s; critical path: {len(path)} calls, {path_s:.3f} s of LLM time "
        f"({100 * path_s / span:.0f}% of the span)."
        if span > 0
        else f"Critical path: {len(path)} calls of no measurable duration.",
        TIMELINE_DEFINITION,
        "Times in seconds from the turn's start.",
    ]
    rows = tuple(
        (
            str(c.call),
            c.intent,
            c.outcome,
            number(c.start - origin, 3),
            number(end(c) - origin, 3),
            number(c.latency, 1, 1e3),
            str(c.prompt_tokens + c.completion_tokens),
            "yes" if c.call in on_path else "",
        )
        for c in sorted(calls, key=lambda c: (c.start, c.call))
    )
    section = Section(
        title=title,
        notes=tuple(notes),
        table=Table(
            headers=(
                "call",
                "intent",
                "outcome",
                "start s",
                "end s",
                "latency ms",
                "tokens",
                "critical",
            ),
            rows=rows,
        ),
    )
    return with_plot(
        section,
        plots,
        "timeline.png",
        lambda: gantt_png(data.titled(f"Decision {chosen}"), calls, path, origin, turn_end),
    )
