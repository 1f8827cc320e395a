"""The public surface of ``rafa_async`` (after trio's ``test_exports``)."""

from __future__ import annotations

import ast
import types
from pathlib import Path

import rafa_async


def _names_bound_in_init() -> set[str]:
    """Names ``rafa_async/__init__.py`` binds at module level (imports and assignments)."""
    tree = ast.parse(Path(rafa_async.__file__).read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom | ast.Import):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def test_all_is_sorted() -> None:
    assert rafa_async.__all__ == sorted(rafa_async.__all__)


def test_all_has_no_duplicates() -> None:
    assert len(set(rafa_async.__all__)) == len(rafa_async.__all__)


def test_every_name_in_all_exists() -> None:
    missing = [name for name in rafa_async.__all__ if not hasattr(rafa_async, name)]
    assert missing == []


def test_every_public_import_in_init_is_in_all() -> None:
    public = {n for n in _names_bound_in_init() if not n.startswith("_")} | {"__version__"}
    assert public == set(rafa_async.__all__)


def test_every_public_attribute_is_in_all() -> None:
    public = {
        name
        for name, value in vars(rafa_async).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public <= set(rafa_async.__all__)


def test_exported_classes_and_functions_come_from_private_modules() -> None:
    for name in rafa_async.__all__:
        module = getattr(getattr(rafa_async, name), "__module__", None)
        if module is not None and name != "__version__":
            assert module.startswith("rafa_async._"), (name, module)
