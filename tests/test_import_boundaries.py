"""Private modules stay private: no import reaches into another package's ``_x``.

A module whose dotted name has a private part (``rafa_async.llm._config``,
``rafa_async.llm.http._pool``) belongs to the package above that part; only
that package's own modules may import it.  Everyone else uses the package's
public names (``rafa_async.llm``, ``rafa_async.llm.http``,
``rafa_async.llm.middleware``, ``rafa_async.app``).  Checked for the LLM
layer's and the application layer's private modules, whoever imports them
(the CLI builds on ``rafa_async.app``'s public names, like any program); and
for the adapters, which import nothing private
outside ``rafa_async.adapters`` at all (the core's errors come from
``rafa_async``).
"""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
from collections.abc import Iterator
from pathlib import Path

import pytest

import rafa_async

ALLOWED: dict[tuple[str, str], str] = {}
"""Known crossings, each with what ends it."""


def _modules() -> Iterator[tuple[str, Path]]:
    """Every module of rafa_async (scenarios and adapters included), with its file."""
    yield "rafa_async", Path(str(rafa_async.__file__))
    for info in pkgutil.walk_packages(rafa_async.__path__, "rafa_async."):
        spec = importlib.util.find_spec(info.name)
        assert spec is not None and spec.origin is not None, info.name
        yield info.name, Path(spec.origin)


def imported_modules(source: str) -> set[str]:
    """The modules ``source`` imports; ``from P import _x`` counts as module ``P._x``."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(
                f"{node.module}.{alias.name}" for alias in node.names if alias.name.startswith("_")
            )
    return found


def owner(module: str) -> str | None:
    """The package a private module belongs to (``rafa_async.llm`` for
    ``rafa_async.llm._config``); ``None`` for a public module."""
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


def violation(importer: str, imported: str) -> bool:
    """Whether ``importer`` may not import ``imported``."""
    package = owner(imported)
    if package is None or not imported.startswith("rafa_async"):
        return False
    if importer.startswith("rafa_async.adapters."):
        return not _within(package, "rafa_async.adapters")  # nothing private from outside
    layered = _within(package, "rafa_async.llm") or _within(package, "rafa_async.app")
    return layered and not _within(importer, package)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def crossings() -> list[str]:
    found = []
    for name, path in _modules():
        for imported in sorted(imported_modules(path.read_text())):
            if violation(name, imported) and (name, imported) not in ALLOWED:
                found.append(f"{name} imports {imported}")
    return found


def test_no_module_imports_a_private_llm_module_across_a_package_boundary() -> None:
    assert crossings() == []


def test_every_allowed_crossing_still_exists() -> None:
    """An allowance outlives its reason no longer than the crossing does."""
    imports = {name: imported_modules(path.read_text()) for name, path in _modules()}
    assert [pair for pair in ALLOWED if pair[1] not in imports.get(pair[0], set())] == []


@pytest.mark.parametrize(
    ("importer", "imported", "crosses"),
    [
        ("rafa_async.adapters.openai", "rafa_async.llm._types", True),
        ("rafa_async.adapters.openai", "rafa_async.llm.http._sse", True),
        ("rafa_async.adapters.openai", "rafa_async._errors", True),
        ("rafa_async.adapters.openai", "rafa_async.adapters._http_chat", False),
        ("rafa_async.adapters.openai", "rafa_async.llm.http", False),
        ("rafa_async.cli._llm", "rafa_async.llm._keys", True),
        ("rafa_async.llm.middleware._cache", "rafa_async.llm._keys", False),
        ("rafa_async.llm._config", "rafa_async.llm.middleware._breaker", True),
        ("rafa_async.llm.middleware._stack", "rafa_async.llm.middleware._retry", False),
        ("rafa_async.agents._rafa", "rafa_async._events", False),
        ("rafa_async.cli._run", "rafa_async.app._llm", True),
        ("rafa_async.serve", "rafa_async.app.sim_server", False),
        ("rafa_async.app._series", "rafa_async.app._seats", False),
    ],
)
def test_what_counts_as_a_crossing(importer: str, imported: str, crosses: bool) -> None:
    assert violation(importer, imported) is crosses


def test_from_a_package_import_its_private_module_is_an_import_of_that_module() -> None:
    source = "from rafa_async.llm import _config, LLM\nimport rafa_async.llm.http._pool\n"
    assert imported_modules(source) == {
        "rafa_async.llm",
        "rafa_async.llm._config",
        "rafa_async.llm.http._pool",
    }
