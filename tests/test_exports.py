"""The public surface: every public package's ``__all__`` (after trio's ``test_exports``).

A public package (or adapter module) lists in a sorted ``__all__`` every name
it offers: everything it re-exports (``from ._x import Name as Name``) and
every public class, function or constant it defines itself; each listed name
is importable.  A new public package must join :data:`PUBLIC` (or
:data:`NOT_YET`, saying why), so none is left without a contract.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import types
from pathlib import Path

import pytest

import rafa_async


def _registered_scenario_packages() -> list[str]:
    """The package of every game and benchmark in the registries."""
    from rafa_async.scenarios import SCENARIOS
    from rafa_async.scenarios._games import GAME_PACKAGES

    benchmarks = {type(b).__module__.rsplit("._", 1)[0] for b in SCENARIOS.values()}
    return sorted(benchmarks | set(GAME_PACKAGES.values()))


PUBLIC = (
    "rafa_async",
    "rafa_async.abc",
    "rafa_async.adapters",
    "rafa_async.adapters.anthropic",
    "rafa_async.adapters.openai",
    "rafa_async.adapters.providers",
    "rafa_async.agents",
    "rafa_async.app",
    "rafa_async.app.sim_server",
    "rafa_async.arena",
    "rafa_async.experiment",
    "rafa_async.llm",
    "rafa_async.llm.http",
    "rafa_async.llm.middleware",
    "rafa_async.planners",
    "rafa_async.scenarios",
    "rafa_async.server",
    "rafa_async.tournament",
    *_registered_scenario_packages(),
)
"""Public packages and modules whose ``__all__`` is checked (every registered
game's and benchmark's package among them, so a new one needs no edit here)."""

NOT_YET = {
    "rafa_async.cli": "the command line: typer's app, not an import API",
}
"""Public packages without an ``__all__`` contract yet, and why."""


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then everything else."""
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


def _offered(module: types.ModuleType) -> set[str]:
    """Public names ``module``'s own source offers: explicit re-exports
    (``import x as x``), and the classes, functions and constants it defines.
    Plain imports (``from rafa_async.llm import SimLLM``) are for its own use."""
    tree = ast.parse(Path(str(module.__file__)).read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom | ast.Import):
            names.update(alias.asname for alias in node.names if alias.asname == alias.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
    return {n for n in names if n is not None and not n.startswith("_")}


@pytest.fixture(params=PUBLIC)
def public(request: pytest.FixtureRequest) -> types.ModuleType:
    return importlib.import_module(request.param)


def test_all_is_sorted_and_has_no_duplicates(public: types.ModuleType) -> None:
    exported = public.__all__
    assert exported == sorted(exported, key=_isort_key)
    assert len(set(exported)) == len(exported)


def test_every_name_in_all_is_importable(public: types.ModuleType) -> None:
    missing = [name for name in public.__all__ if not hasattr(public, name)]
    assert missing == []


def test_all_lists_every_name_the_source_offers(public: types.ModuleType) -> None:
    assert _offered(public) - set(public.__all__) == set()


def test_every_public_attribute_of_the_root_is_in_all() -> None:
    public = {
        name
        for name, value in vars(rafa_async).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public <= set(rafa_async.__all__)


def test_every_public_package_is_checked_or_says_why_not() -> None:
    packages = {
        info.name
        for info in pkgutil.walk_packages(rafa_async.__path__, "rafa_async.")
        if info.ispkg and not any(part.startswith("_") for part in info.name.split("."))
    }
    assert packages - set(PUBLIC) - set(NOT_YET) == set()


def test_exported_classes_and_functions_come_from_private_modules() -> None:
    for name in rafa_async.__all__:
        value = getattr(rafa_async, name)
        if not isinstance(value, type | types.FunctionType):
            continue  # constants and type aliases (e.g. Delivery = tuple[...])
        module = getattr(value, "__module__", None)
        if module is not None:
            assert module.startswith("rafa_async._"), (name, module)


def _is_protocol(value: object) -> bool:
    return isinstance(value, type) and bool(getattr(value, "_is_protocol", False))


def test_every_public_protocol_is_in_rafa_async_abc() -> None:
    import rafa_async.abc

    # A game's own extension points (an IPD Strategy) stay with the game.
    framework = [name for name in PUBLIC if not name.startswith("rafa_async.scenarios.")]
    protocols = {
        f"{name}.{attr}"
        for name in framework
        for attr in importlib.import_module(name).__all__
        if _is_protocol(getattr(importlib.import_module(name), attr))
    }
    gathered = {getattr(rafa_async.abc, attr) for attr in rafa_async.abc.__all__}
    missing = sorted(
        qualified
        for qualified in protocols
        if getattr(
            importlib.import_module(qualified.rsplit(".", 1)[0]), qualified.rsplit(".", 1)[1]
        )
        not in gathered
    )

    assert missing == []
