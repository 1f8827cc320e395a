"""The layering contract (``[tool.importlinter]`` in pyproject.toml, checked
by ``lint-imports`` in ``make test``) places every part of the package."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rafa_async"
OUTSIDE_THE_LAYERS = {
    "__init__": "the root re-exports the core's public names",
    "abc": "a facade that re-exports the protocols of every layer",
    "testing": "test support (a virtual-time event loop), imported by no layer",
}


def layered_modules() -> set[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    return {name for layer in layers for name in re.split(r"\s*[|:]\s*", layer.strip())}


def test_every_module_and_subpackage_is_in_a_layer() -> None:
    parts = {
        path.stem if path.suffix == ".py" else path.name
        for path in PACKAGE.iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists())
    }
    unplaced = {f"rafa_async.{p}" for p in parts - OUTSIDE_THE_LAYERS.keys()} - layered_modules()

    assert unplaced == set()


def test_the_layers_name_only_modules_that_exist() -> None:
    missing = [
        name
        for name in layered_modules()
        if not (
            (ROOT / (name.replace(".", "/") + ".py")).exists()
            or (ROOT / name.replace(".", "/") / "__init__.py").exists()
        )
    ]

    assert missing == []
