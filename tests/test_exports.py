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


def _isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then everything else."""
    if name.isupper():
        return (0, name)
    if name[0].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted() -> None:
    assert rafa_async.__all__ == sorted(rafa_async.__all__, key=_isort_key)


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
        value = getattr(rafa_async, name)
        if not isinstance(value, type | types.FunctionType):
            continue  # constants and type aliases (e.g. Delivery = tuple[...])
        module = getattr(value, "__module__", None)
        if module is not None:
            assert module.startswith("rafa_async._"), (name, module)
