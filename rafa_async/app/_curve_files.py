"""Write sample-efficiency curves: a CSV and a JSON per agent, and one PNG plot.

Per agent ``AGENT.csv`` (the columns of
:data:`~rafa_async.app.CURVE_COLUMNS`) and ``AGENT.json`` (the whole
:class:`~rafa_async.app.AgentCurve`: provider, simulated flag, seeds,
counting convention, agent parameters, points); and ``curves.png``, every
curve with its 95% band, when matplotlib (the ``plot`` extra) is installed.
A simulated LLM's curves say so in the legend and the title.
"""

from __future__ import annotations

import csv
import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from rafa_async._errors import ConfigError
from rafa_async.app._curve import COUNTINGS, CURVE_COLUMNS
from rafa_async.app._curves import AgentCurve

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PLOT_FILE = "curves.png"
PLOT_EXTRA = "pip install 'rafa-async[plot]'"
"""How to get the PNG: the ``plot`` extra (matplotlib)."""


def can_plot() -> bool:
    """Whether matplotlib (the ``plot`` extra) is installed."""
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except ValueError:  # a module entry set to None (as tests do)
        return False


def check_out_dir(path: str | os.PathLike[str], *, force: bool) -> None:
    """:class:`ConfigError` if ``path`` is a file, or a directory with files
    in it and ``force`` is not set (nothing is overwritten unasked)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ConfigError(f"--out {path} is a file, not a directory")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise ConfigError(f"--out {path} is not empty (use --force to overwrite its files)")


def write_curves(curves: Sequence[AgentCurve], out: str | os.PathLike[str]) -> list[Path]:
    """Every curve's CSV and JSON in ``out`` (created), and the PNG if
    matplotlib is installed; the paths written, in that order."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for curve in curves:
        table = out / f"{curve.agent}.csv"
        with table.open("w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(CURVE_COLUMNS)
            for point in curve.points:
                writer.writerow(
                    [point.interactions, *(f"{v:.6g}" for v in msgspec.structs.astuple(point)[1:])]
                )
        summary = out / f"{curve.agent}.json"
        summary.write_bytes(msgspec.json.format(msgspec.json.encode(curve)) + b"\n")
        written += [table, summary]
    if curves and can_plot():
        written.append(plot_curves(curves, out / PLOT_FILE))
    return written


def plot_title(curves: Sequence[AgentCurve]) -> str:
    """The plot's title: the scenario, the provider(s), SIMULATED LLM if any
    curve is, and the counting convention."""
    first = curves[0]
    providers = ", ".join(dict.fromkeys(c.provider for c in curves))
    simulated = " · SIMULATED LLM" if any(c.simulated for c in curves) else ""
    return (
        f"{first.scenario}: success vs environment interactions{simulated}\n"
        f"LLM: {providers}\n{len(first.seeds)} seed(s) x tasks {first.tasks} · "
        f"counting: {first.counting} ({COUNTINGS[first.counting]})"
    )


def plot_curves(curves: Sequence[AgentCurve], path: str | os.PathLike[str]) -> Path:
    """Draw every curve (success with its 95% band) into the PNG ``path``.

    Needs matplotlib (:func:`can_plot`)."""
    draw_curves(curves).savefig(path, dpi=120)
    return Path(path)


def draw_curves(curves: Sequence[AgentCurve], title: str | None = None) -> Figure:
    """The figure of every curve (success with its 95% band), titled
    ``title`` (default: :func:`plot_title`, which names the LLM).

    Needs matplotlib (:func:`can_plot`).  Uses its object API, not pyplot:
    no global figure state, no GUI backend."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 6), layout="constrained")
    axes = figure.add_subplot()
    for curve in curves:
        ks = [p.interactions for p in curve.points]
        label = curve.label
        if curve.simulated and "SIMULATED" not in label:
            label += " [SIMULATED]"
        (line,) = axes.plot(
            ks, [100 * p.success for p in curve.points], label=label, drawstyle="steps-post"
        )
        axes.fill_between(
            ks,
            [100 * p.ci_low for p in curve.points],
            [100 * p.ci_high for p in curve.points],
            color=line.get_color(),
            alpha=0.12,
            linewidth=0,
            step="post",
        )
    cap = max(c.cap for c in curves)
    axes.set_xlim(1, cap)
    axes.set_xticks(range(1, cap + 1))
    axes.set_ylim(0, 100)
    axes.set_xlabel(f"environment interactions ({curves[0].counting} counting)")
    axes.set_ylabel("success rate (%) · 95% Wilson band")
    axes.set_title(plot_title(curves) if title is None else title, fontsize=9)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=8)
    return figure
