"""What every benchmark writes beside its figures: the machine and the command."""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import sys
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
    """``payload`` plus the command line and the machine, as indented JSON."""
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "command": " ".join([sys.executable, *sys.argv]),
        "machine": machine_info(*extra_packages),
        **payload,
    }
    path.write_text(json.dumps(report, indent=2, default=str))
