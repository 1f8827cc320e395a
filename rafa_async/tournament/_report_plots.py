"""The report's plots, as PNG bytes (matplotlib, the ``plot`` extra).

Only called when :func:`~rafa_async.app.can_plot` says matplotlib is
installed.  They use matplotlib's object API, not pyplot: no global figure
state, no GUI backend, safe to call from any thread.  Each title says
SIMULATED LLM when the figures came from it.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

from rafa_async.tournament._latency import PERCENTILES, end, percentiles, permille
from rafa_async.tournament._outcome import CallOutcome
from rafa_async.tournament._ratings import Rating
from rafa_async.tournament._table import ScoreMatrix

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def distribution_png(title: str, series: Mapping[str, Sequence[float]], ylabel: str) -> bytes:
    """Each series' latency by percentile, HdrHistogram style: the x axis
    counts nines (-log10(1 - q)), so p50, p90, p99 and p99.9 are equally
    spaced and the tail is visible; the report's percentiles are marked.
    Log y when every value is positive (latencies span orders of magnitude)."""
    figure = _figure(9, 5)
    axes = figure.add_subplot()
    values = [v for sample in series.values() for v in sample]
    for name, sample in series.items():
        data = sorted(sample)
        if not data:
            continue
        curve = [data[0], *permille(data)]
        nines = [_nines(i / 10) for i in range(len(curve))]
        (line,) = axes.plot(nines, curve, label=f"{name} (n={len(data)})", linewidth=1.2)
        marks = percentiles(data).values or ()
        axes.plot(
            [_nines(p) for p in PERCENTILES], marks, "o", color=line.get_color(), markersize=4
        )
    axes.set_xticks([_nines(p) for p in PERCENTILES])
    axes.set_xticklabels([f"p{p:g}" for p in PERCENTILES])
    axes.set_xlim(0, _nines(PERCENTILES[-1]) + 0.2)
    if values and min(values) > 0:
        axes.set_yscale("log")
    axes.set_xlabel("percentile (dots: the table's figures; the curve interpolates like them)")
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=9)
    axes.grid(alpha=0.3)
    axes.legend(loc="upper left", fontsize=8)
    return _png(figure)


def _nines(percentile: float) -> float:
    return -math.log10(1 - percentile / 100)


def cost_png(title: str, rows: Sequence[tuple[str, float | None, float, float]]) -> bytes:
    """Per participant (name, $ per game, tokens per game, LLM calls per
    game): three bar panels; an unknown cost is left out of its panel."""
    figure = _figure(11, 4)
    names = [row[0] for row in rows]
    panels = (
        ("$ per game", [math.nan if row[1] is None else row[1] for row in rows]),
        ("tokens per game", [row[2] for row in rows]),
        ("LLM calls per game", [row[3] for row in rows]),
    )
    for i, (label, heights) in enumerate(panels):
        axes = figure.add_subplot(1, 3, i + 1)
        axes.bar(names, heights, color=f"C{i}")
        axes.set_title(label, fontsize=9)
        axes.tick_params(axis="x", labelrotation=30, labelsize=8)
        axes.grid(axis="y", alpha=0.3)
    figure.suptitle(title, fontsize=9)
    return _png(figure)


def gantt_png(
    title: str,
    calls: Sequence[CallOutcome],
    critical: Sequence[CallOutcome],
    origin: float,
    turn_end: float | None,
) -> bytes:
    """One bar per call (a row each, by start), from its start to its end in
    seconds from ``origin`` (its turn's start); the critical path's calls in
    red and joined by arrows, failed or cancelled calls hatched; a dashed
    line where the next turn started (``turn_end``)."""
    ordered = sorted(calls, key=lambda c: (c.start, c.call))
    row = {call.call: i for i, call in enumerate(ordered)}
    on_path = {call.call for call in critical}
    figure = _figure(10, min(2.0 + 0.22 * len(ordered), 24.0))
    axes = figure.add_subplot()
    for i, call in enumerate(ordered):
        axes.barh(
            i,
            max(call.latency, 1e-6),
            left=call.start - origin,
            height=0.7,
            color="C3" if call.call in on_path else "C0",
            alpha=1.0 if call.call in on_path else 0.55,
            hatch="//" if call.outcome != "ok" else None,
            edgecolor="black" if call.outcome != "ok" else "none",
        )
    for before, after in pairwise(critical):
        axes.annotate(
            "",
            xy=(after.start - origin, row[after.call]),
            xytext=(end(before) - origin, row[before.call]),
            arrowprops={"arrowstyle": "->", "color": "C3", "linewidth": 1.0},
        )
    axes.set_xlim(left=min(0.0, *(c.start - origin for c in ordered)))
    if turn_end is not None:
        axes.axvline(turn_end - origin, color="black", linestyle="--", linewidth=0.8)
    axes.set_yticks(range(len(ordered)))
    axes.set_yticklabels(
        [f"#{c.call} {c.intent}" for c in ordered], fontsize=7 if len(ordered) < 40 else 5
    )
    axes.invert_yaxis()
    axes.set_xlabel("seconds from the turn's start")
    path_s = sum(c.latency for c in critical)
    axes.set_title(
        f"{title}\nred: critical path ({len(critical)} calls, {path_s:.3f} s of LLM time); "
        "hatched: failed/cancelled; dashed: next turn starts",
        fontsize=9,
    )
    axes.grid(axis="x", alpha=0.3)
    return _png(figure)


def ratings_png(title: str, rows: Sequence[Rating]) -> bytes:
    """Two panels, best first: each participant's Elo against the field with
    its 95% interval (an infinite end drawn at the panel's edge as an arrow
    head), and its openskill mu with mu ± 3 sigma."""
    figure = _figure(11, 1.5 + 0.45 * len(rows))
    elo_axes, skill_axes = figure.subplots(1, 2, sharey=True)
    ys = range(len(rows))
    finite = [
        v
        for row in rows
        for v in (row.elo.elo, row.elo.lower, row.elo.upper)
        if v is not None and math.isfinite(v)
    ]
    edge = max((abs(v) for v in finite), default=200.0) * 1.2 + 50.0
    for y, row in zip(ys, rows, strict=True):
        elo = row.elo
        if elo.elo is None:
            continue
        point = max(-edge, min(edge, elo.elo))
        lower = point if elo.lower is None else max(-edge, elo.lower)
        upper = point if elo.upper is None else min(edge, elo.upper)
        elo_axes.plot([lower, upper], [y, y], color="C0", linewidth=2)
        marker = "o" if math.isfinite(elo.elo) else (">" if elo.elo > 0 else "<")
        elo_axes.plot([point], [y], marker, color="C0")
        for end_, head in ((elo.lower, "<"), (elo.upper, ">")):
            if end_ is not None and math.isinf(end_):
                elo_axes.plot([math.copysign(edge, end_)], [y], head, color="C0")
    elo_axes.axvline(0, color="grey", linewidth=0.8)
    elo_axes.set_xlim(-edge * 1.05, edge * 1.05)
    elo_axes.set_xlabel("Elo vs the field (95% interval; arrow: infinite)")
    skill_axes.errorbar(
        [row.mu for row in rows],
        list(ys),
        xerr=[3 * row.sigma for row in rows],
        fmt="o",
        color="C1",
        capsize=3,
    )
    skill_axes.set_xlabel("openskill mu ± 3 sigma")
    elo_axes.set_yticks(list(ys))
    elo_axes.set_yticklabels([row.name for row in rows])
    elo_axes.invert_yaxis()
    for axes in (elo_axes, skill_axes):
        axes.grid(axis="x", alpha=0.3)
    figure.suptitle(title, fontsize=9)
    return _png(figure)


def heatmap_png(title: str, matrix: ScoreMatrix) -> bytes:
    """The pairwise score matrix as a heatmap (red 0 to green 1), each cell
    annotated with its score and W-D-L; grey where they have not played."""
    names = matrix.participants
    size = 2.5 + 0.9 * len(names)
    figure = _figure(size + 1.5, size)
    axes = figure.add_subplot()
    cells = [[math.nan if s is None else s for s in row] for row in matrix.score]
    from matplotlib import colormaps

    colours = colormaps["RdYlGn"].with_extremes(bad="lightgrey")
    image = axes.imshow(cells, cmap=colours, vmin=0.0, vmax=1.0)
    for i, row in enumerate(matrix.wdl):
        for j, wdl in enumerate(row):
            score = matrix.score[i][j]
            if score is not None:
                axes.text(
                    j,
                    i,
                    f"{score:.2f}\n{wdl.wins}-{wdl.draws}-{wdl.losses}",
                    ha="center",
                    va="center",
                    fontsize=8,
                )
    axes.set_xticks(range(len(names)), names, rotation=30, ha="right")
    axes.set_yticks(range(len(names)), names)
    axes.set_xlabel("opponent")
    axes.set_ylabel("participant (row's score)")
    figure.colorbar(image, ax=axes, label="score fraction")
    axes.set_title(title, fontsize=9)
    return _png(figure)
