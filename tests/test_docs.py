"""The project stands alone: its code and docs cite only files in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SKIP_DIRS = {".git", ".venv", ".bootstrap", "build", "dist", "__pycache__", ".mypy_cache"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".yaml", ".yml", ".cfg", ".ini"}
OUTSIDE = re.compile(r"\bDESIGN\.md\b|\bSTYLE\.md\b|\.\./shared\b")
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def project_files() -> list[Path]:
    files = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if parts & SKIP_DIRS or any(p.endswith(".egg-info") for p in parts):
            continue
        if path.is_file() and (path.suffix in TEXT_SUFFIXES or path.name == "Makefile"):
            files.append(path)
    return files


def test_no_file_cites_documents_outside_the_repository() -> None:
    this = Path(__file__).resolve()
    citing = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in project_files()
        if path.resolve() != this
        for n, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]

    assert citing == []


def test_the_architecture_note_exists_and_covers_its_topics() -> None:
    text = ARCHITECTURE.read_text()

    for heading in ("## Layers", "## From a transition to a replan", "## The simulated LLM"):
        assert heading in text
    assert "What it does not model" in text
    assert "## What things cost" in text


@pytest.mark.parametrize(
    "cited",
    sorted(
        set(
            re.findall(
                r"`((?:benchmarks|rafa_async|scenarios|adapters)/[\w/.]+)`",
                ARCHITECTURE.read_text(),
            )
        )
    ),
)
def test_every_path_the_architecture_note_cites_exists(cited: str) -> None:
    assert (ROOT / cited).exists()


@pytest.mark.parametrize(
    "script", sorted(set(re.findall(r"`(\w+\.py)`", ARCHITECTURE.read_text())))
)
def test_every_script_or_module_the_architecture_note_names_exists(script: str) -> None:
    found = [p for p in project_files() if p.name == script]

    assert found, f"docs/architecture.md names {script}, which is not in the repository"
