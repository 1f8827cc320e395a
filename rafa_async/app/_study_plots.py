"""A study report's plots, as PNG bytes (matplotlib, the ``plot`` extra).

Only called when :func:`~rafa_async.app.can_plot` says matplotlib is
installed; matplotlib's object API, not pyplot (no global state, no GUI).
Every title names the LLM the figures came from, and says SIMULATED LLM
-- not a language model -- when it was the sim.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rafa_async.app._curve import COUNTINGS
from rafa_async.app._curve_files import draw_curves
from rafa_async.app._study_results import PartResult, StudyLearningCurve, StudyResults
from rafa_async.llm import SIM_LABEL

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SIM_NOTE = "SIMULATED LLM (not a language model)"


def llm_line(provider: str, simulated: bool) -> str:
    """How a figure names its LLM: ``LLM: sim · SIMULATED LLM (not a language model)``."""
    name = "sim" if provider == SIM_LABEL else provider
    return f"LLM: {name}" + (f" · {SIM_NOTE}" if simulated else "")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def success_png(results: StudyResults) -> bytes:
    return _png(success_figure(results))


def success_figure(results: StudyResults) -> Figure:
    """Grouped bars: each benchmark's success per agent, with 95% Wilson bars."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 5.5), layout="constrained")
    axes = figure.add_subplot()
    columns = list(dict.fromkeys(c.column for p in results.parts for c in p.cells))
    width = 0.8 / max(1, len(columns))
    for i, column in enumerate(columns):
        xs, ys, low, high = [], [], [], []
        for x, part in enumerate(results.parts):
            cell = next((c for c in part.cells if c.column == column), None)
            if cell is None:
                continue
            xs.append(x - 0.4 + width * (i + 0.5))
            ys.append(100 * cell.success)
            low.append(100 * (cell.success - cell.ci_low))
            high.append(100 * (cell.ci_high - cell.success))
        axes.bar(xs, ys, width, yerr=[low, high], capsize=3, label=column)
    axes.set_xticks(range(len(results.parts)))
    axes.set_xticklabels([p.row for p in results.parts])
    axes.set_ylim(0, 100)
    axes.set_ylabel("success rate (%) · 95% Wilson interval")
    axes.set_title(
        f"Success per benchmark and agent ({results.seeds} seed(s))\n"
        f"{llm_line(results.provider, results.simulated)}",
        fontsize=9,
    )
    axes.grid(axis="y", alpha=0.3)
    axes.legend(fontsize=8)
    return figure


def curves_png(part: PartResult, provider: str, simulated: bool) -> bytes:
    return _png(curves_figure(part, provider, simulated))


def curves_figure(part: PartResult, provider: str, simulated: bool) -> Figure:
    """``part``'s success-vs-interactions curves (``rafa curve``'s drawing)."""
    first = part.curves[0]
    title = (
        f"{part.row}: success vs environment interactions\n"
        f"{llm_line(provider, simulated)}\n"
        f"{len(part.seeds)} seed(s) x tasks {part.tasks} · counting: {first.counting} "
        f"({COUNTINGS[first.counting]})"
    )
    return draw_curves(part.curves, title)


def learning_png(curves: Sequence[StudyLearningCurve]) -> bytes:
    return _png(learning_figure(curves))


def learning_figure(curves: Sequence[StudyLearningCurve]) -> Figure:
    """Score against training episodes, one line (and 95% band) per curve."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 5.5), layout="constrained")
    axes = figure.add_subplot()
    for curve in curves:
        xs = [p.episodes for p in curve.points]
        (line,) = axes.plot(xs, [p.score for p in curve.points], marker="o", label=curve.label)
        axes.fill_between(
            xs,
            [p.ci_low for p in curve.points],
            [p.ci_high for p in curve.points],
            color=line.get_color(),
            alpha=0.12,
            linewidth=0,
        )
    axes.set_ylim(-1, 1)
    axes.set_xlabel("training episodes")
    axes.set_ylabel("mean evaluation score (-1 loss, 0 draw, 1 win) · 95% band")
    providers = ", ".join(dict.fromkeys(c.provider for c in curves))
    simulated = any(c.simulated for c in curves)
    axes.set_title(
        f"{curves[0].part}\n{llm_line(providers, simulated)}",
        fontsize=9,
    )
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return figure
