"""A count with its noun in the right number, for messages and tables."""

from __future__ import annotations


def plural(count: int, one: str, many: str | None = None) -> str:
    """``"1 match"``, ``"2 matches"``, ``"0 matches"``: ``many`` defaults to
    ``one + "s"``.  So that no message says "1 matches" or "after 1 steps"."""
    return f"{count} {one if count == 1 else (many or one + 's')}"
