"""What every benchmark writes beside its figures: the machine and the command."""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PACKAGES = ("anyio", "trio", "msgspec", "rafa-async")


def machine_info(*extra_packages: str) -> dict[str, Any]:
    versions = {}
    for package in (*PACKAGES, *extra_packages):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "python": sys.version,
        "implementation": platform.python_implementation(),
        "versions": versions,
    }


def write_report(path: Path, payload: dict[str, Any], *extra_packages: str) -> None:
    """``payload`` plus the command line and the machine, as indented JSON,
    at ``path`` (or ``$RAFA_BENCH_OUT``: :func:`destination`)."""
    path = destination(path) or path
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "command": " ".join([sys.executable, *sys.argv]),
        "machine": machine_info(*extra_packages),
        **payload,
    }
    path.write_text(json.dumps(report, indent=2, default=str))


OUT_ENV = "RAFA_BENCH_OUT"
"""Set by ``rafa bench``: the file a script writes its JSON report to, in
place of its own ``--out`` -- a suite run (a ``--quick`` one above all) must
never overwrite the reference figures under benchmarks/results/."""


def destination(path: Path | None) -> Path | None:
    """Where the JSON report goes: ``$RAFA_BENCH_OUT`` if set, else ``path``."""
    chosen = os.environ.get(OUT_ENV)
    return Path(chosen) if chosen else path


def parse_args(
    parser: argparse.ArgumentParser, argv: Sequence[str] | None = None, **quick: Any
) -> argparse.Namespace:
    """``parser.parse_args(argv)`` with a ``--quick`` flag: the options
    ``quick`` names take those values as defaults (an option given still
    wins), for a run of seconds that shows the script works -- its figures
    say little (``rafa bench --quick`` passes it to every script)."""
    parser.add_argument(
        "--quick", action="store_true", help="a run of seconds (a smoke test; figures say little)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        parser.set_defaults(**quick)
        args = parser.parse_args(argv)
    return args
