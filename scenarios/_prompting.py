"""Prompt text every scenario shares."""

from __future__ import annotations

from collections.abc import Sequence


def memory_block(memory: Sequence[str], heading: str) -> str:
    """The memory lines under ``heading`` as a bullet list (nothing if empty):
    how an agent's memory enters its prompts."""
    if not memory:
        return ""
    lines = "\n".join(f"- {line}" for line in memory)
    return f"{heading}\n{lines}\n\n"
