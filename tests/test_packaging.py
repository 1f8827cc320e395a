"""The wheel ships exactly the source tree, under ``rafa_async`` only.

``adapters/`` and ``scenarios/`` live at the top of the repo but are packaged
as ``rafa_async.adapters`` / ``rafa_async.scenarios`` through symlinks, with an
explicit package list in pyproject.toml; a forgotten subpackage would silently
vanish from the wheel, so this test builds one and compares.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def source_modules() -> set[str]:
    modules = set()
    for top in ("rafa_async", "rafa_async/scenarios", "rafa_async/adapters"):
        base = ROOT / top
        real = base.resolve()
        for path in real.rglob("*.py"):
            rel = path.relative_to(real)
            if "__pycache__" in rel.parts:
                continue
            # Skip what the walk of the outer package already reached through links.
            if top == "rafa_async" and rel.parts[0] in ("scenarios", "adapters"):
                continue
            modules.add(f"{top}/{rel.as_posix()}")
    return modules


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Build from a copy: setuptools reuses an in-tree build/ directory, whose
    # leftovers (a module deleted since) would end up in the wheel.
    source = tmp_path_factory.mktemp("src") / "rafa-async"
    skip = shutil.ignore_patterns(
        ".git", ".venv", ".bootstrap", "build", "dist", "*.egg-info", "__pycache__", "*_cache"
    )
    shutil.copytree(ROOT, source, symlinks=True, ignore=skip)
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=source,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("rafa_async-*.whl")
    return built


@pytest.mark.slow
def test_wheel_contains_every_source_module(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        shipped = {n for n in zf.namelist() if n.endswith(".py")}
    assert shipped == source_modules()


@pytest.mark.slow
def test_wheel_has_no_generic_top_level_packages(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        tops = {
            n.split("/")[0] for n in zf.namelist() if not n.split("/")[0].endswith(".dist-info")
        }
    assert tops == {"rafa_async"}


@pytest.mark.slow
def test_wheel_ships_data_and_type_marker(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert "rafa_async/py.typed" in names
    assert "rafa_async/scenarios/game24/data/24.csv" in names


@pytest.mark.slow
def test_unpacked_wheel_runs_an_episode_outside_the_source_tree(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(site)
    script = (
        "import sys; sys.path.insert(0, sys.argv[1])\n"
        "import anyio, rafa_async\n"
        "from rafa_async.app import BenchmarkConfig, run_benchmark\n"
        "from rafa_async.llm import LatencyModel\n"
        "assert rafa_async.__file__.startswith(sys.argv[1]), rafa_async.__file__\n"
        "config = BenchmarkConfig(tasks='1-2', latency=LatencyModel(scale=0.0))\n"
        "records, summary = anyio.run(run_benchmark, config)\n"
        "print(summary.episodes)\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", script, str(site)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"
