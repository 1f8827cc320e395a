"""``rafa bench compare``: two results of ``rafa bench``, figure by figure.

Each file's figures are its numeric leaves, named by their key path
(``benchmarks.provider_latency.p99_ms``); the machine and each script's own
machine description are shown side by side, not divided.  A list of objects
is keyed by each item's text fields (``rows[client=a]``) when those tell
the items apart, else by position -- so two runs that list the same rows in
another order still line up.

Whether lower or higher is better is read off a figure's name only where the
name says it (a time unit or ``latency``: lower; ``per_s``, ``speedup``,
``throughput``: higher); elsewhere the ratio is shown without a verdict.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rafa_async._errors import ConfigError

Better = Literal["lower", "higher"]
SKIPPED = frozenset({"machine", "command", "cwd", "exit_status"})
"""Keys whose numbers describe the run, not a measurement."""
HIGHER = re.compile(r"per_s|per_sec|speedup|throughput|calls_s$|rate_hz", re.IGNORECASE)
LOWER = re.compile(
    r"(^|_)(s|ms|us|ns|seconds|secs)$|latency|(^|_)wall|overhead|(^|_)(mib|bytes)$|(^|_)rss",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure present in both files."""

    key: str
    a: float
    b: float
    better: Better | None

    @property
    def ratio(self) -> float | None:
        """b / a (``None`` if a is 0)."""
        return self.b / self.a if self.a != 0 else None

    @property
    def verdict(self) -> str:
        """``b better``, ``b worse``, ``same``, or ``""`` where the name does
        not say which way is better (no pretending)."""
        if self.better is None or self.ratio is None:
            return ""
        if self.a == self.b:
            return "same"
        lower = self.b < self.a
        return "b better" if lower == (self.better == "lower") else "b worse"


@dataclass(frozen=True, slots=True)
class Comparison:
    machine_a: dict[str, Any]
    machine_b: dict[str, Any]
    figures: list[Figure]
    only_a: list[str]
    only_b: list[str]
    simulated_a: list[str]
    simulated_b: list[str]
    differing_texts: list[tuple[str, str, str]]
    """Text leaves in both whose values differ (key, a, b): what changed."""

    def as_json(self, a: Path, b: Path) -> dict[str, Any]:
        return {
            "a": str(a),
            "b": str(b),
            "machine": {"a": self.machine_a, "b": self.machine_b},
            "simulated": {"a": self.simulated_a, "b": self.simulated_b},
            "figures": [
                {
                    "key": f.key,
                    "a": f.a,
                    "b": f.b,
                    "ratio": f.ratio,
                    "better": f.better,
                    "verdict": f.verdict or None,
                }
                for f in self.figures
            ],
            "differing_texts": [
                {"key": key, "a": in_a, "b": in_b} for key, in_a, in_b in self.differing_texts
            ],
            "only_in_a": self.only_a,
            "only_in_b": self.only_b,
        }


def load(path: Path) -> dict[str, Any]:
    """A ``rafa bench`` results file; :class:`ConfigError` naming the file
    and what is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise ConfigError(f"cannot read {path}: {reason}") from None
    try:
        results = json.loads(text)
    except ValueError as error:
        raise ConfigError(f"{path} is not JSON: {error}") from None
    if not isinstance(results, dict) or not isinstance(results.get("benchmarks"), dict):
        raise ConfigError(
            f"{path} is not a rafa bench result (a JSON object with 'benchmarks'; "
            "write one with: rafa bench --out FILE)"
        )
    return results


def figures(node: Any, path: str = "") -> Iterator[tuple[str, float]]:
    """The numeric leaves under ``node``, by key path (booleans, text and
    non-finite numbers are not figures)."""
    for key, leaf in leaves(node, path):
        if isinstance(leaf, int | float) and not isinstance(leaf, bool) and math.isfinite(leaf):
            yield key, float(leaf)


def texts(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """The text leaves under ``node`` (what was measured: a provider, a URL)."""
    for key, leaf in leaves(node, path):
        if isinstance(leaf, str):
            yield key, leaf


def leaves(node: Any, path: str) -> Iterator[tuple[str, object]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in SKIPPED:
                yield from leaves(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for label, item in zip(item_labels(node), node, strict=True):
            yield from leaves(item, f"{path}[{label}]")
    elif node is not None:
        yield path, node


def item_labels(items: list[Any]) -> list[str]:
    """Each item's text fields (``client=a,backend=trio``) if every item is
    an object and they tell the items apart; else the positions."""
    labels = []
    for item in items:
        if not isinstance(item, dict):
            return [str(i) for i in range(len(items))]
        labels.append(",".join(f"{k}={v}" for k, v in item.items() if isinstance(v, str)))
    if all(labels) and len(set(labels)) == len(labels):
        return labels
    return [str(i) for i in range(len(items))]


def better_of(key: str) -> Better | None:
    """Which way is better, if the figure's own name (its last key) says."""
    name = re.sub(r"\[.*?\]", "", key).rsplit(".", 1)[-1]
    if HIGHER.search(name):
        return "higher"
    if LOWER.search(name):
        return "lower"
    return None


def simulated_benchmarks(results: dict[str, Any]) -> list[str]:
    runs = results.get("runs")
    if not isinstance(runs, dict):
        return []
    return sorted(n for n, r in runs.items() if isinstance(r, dict) and r.get("simulated"))


def compare(a: dict[str, Any], b: dict[str, Any]) -> Comparison:
    measured_a = {"benchmarks": a["benchmarks"], "runs": a.get("runs", {})}
    measured_b = {"benchmarks": b["benchmarks"], "runs": b.get("runs", {})}
    figures_a, figures_b = dict(figures(measured_a)), dict(figures(measured_b))
    texts_a, texts_b = dict(texts(measured_a)), dict(texts(measured_b))
    both = [k for k in figures_a if k in figures_b]
    machine_a, machine_b = a.get("machine"), b.get("machine")
    return Comparison(
        machine_a=machine_a if isinstance(machine_a, dict) else {},
        machine_b=machine_b if isinstance(machine_b, dict) else {},
        figures=[Figure(k, figures_a[k], figures_b[k], better_of(k)) for k in both],
        only_a=[k for k in figures_a if k not in figures_b],
        only_b=[k for k in figures_b if k not in figures_a],
        simulated_a=simulated_benchmarks(a),
        simulated_b=simulated_benchmarks(b),
        differing_texts=[
            (k, v, texts_b[k]) for k, v in texts_a.items() if k in texts_b and texts_b[k] != v
        ],
    )
