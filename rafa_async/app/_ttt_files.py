"""Write the Tic-Tac-Toe learning curve: ``curve.json`` and, with matplotlib, ``curve.png``.

Drawn like ``rafa curve``'s plot (:mod:`rafa_async.app._curve_files`):
matplotlib's object API, no pyplot state; a simulated LLM's curve says so in
the title and the legend.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from rafa_async.app._curve_files import can_plot
from rafa_async.app._ttt_protocol import LearningCurve

CURVE_JSON = "curve.json"
CURVE_PNG = "curve.png"


def write_learning_curve(curve: LearningCurve, out: str | os.PathLike[str]) -> list[Path]:
    """``curve.json`` in ``out`` (created), and ``curve.png`` if matplotlib is
    installed; the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / CURVE_JSON
    path.write_bytes(msgspec.json.format(msgspec.json.encode(curve)) + b"\n")
    written = [path]
    if can_plot():
        written.append(plot_learning_curve(curve, out / CURVE_PNG))
    return written


def plot_learning_curve(curve: LearningCurve, path: str | os.PathLike[str]) -> Path:
    """Score against training episodes, one line per B with its 95% band."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 6), layout="constrained")
    axes = figure.add_subplot()
    tag = " [SIMULATED]" if curve.simulated else ""
    for b_curve in curve.curves:
        episodes = [p.episode for p in b_curve.points]
        (line,) = axes.plot(
            episodes,
            [p.mean for p in b_curve.points],
            marker="o",
            label=f"RAFA (B={b_curve.b}){tag}",
        )
        axes.fill_between(
            episodes,
            [p.ci_low for p in b_curve.points],
            [p.ci_high for p in b_curve.points],
            color=line.get_color(),
            alpha=0.12,
            linewidth=0,
        )
    config = curve.config
    simulated = " · SIMULATED LLM" if curve.simulated else ""
    axes.set_title(
        f"Tic-Tac-Toe: RAFA ({curve.rafa_seat}) vs {curve.opponent} "
        f"({'X' if curve.rafa_seat == 'O' else 'O'}){simulated}\n"
        f"LLM: {curve.provider}\n{config.seeds} seed(s) x {config.eval_games} evaluation "
        "games per point · score 1 win / 0 draw / -1 loss",
        fontsize=9,
    )
    axes.set_xlabel("training episodes")
    axes.set_ylabel("mean score · 95% band over seeds")
    axes.set_ylim(-1.05, 1.05)
    axes.set_xlim(0, max(config.train_episodes, 1))
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=8)
    figure.savefig(path, dpi=120)
    return Path(path)
