"""The memory buffer an agent learns from (in context)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator


class Memory:
    """Feedback lines in arrival order, optionally bounded (oldest dropped first).

    RAFA's "learning" is in context: the lines are put into the planner's
    prompts, so the model's posterior conditions on them.  Exact duplicates are
    kept once, so repeating a mistake does not crowd out other evidence.
    """

    def __init__(self, maxlen: int | None = None) -> None:
        self._lines: deque[str] = deque(maxlen=maxlen)
        self._seen: set[str] = set()

    def add(self, line: str) -> None:
        if line in self._seen or self._lines.maxlen == 0:
            return
        if self._lines.maxlen is not None and len(self._lines) == self._lines.maxlen:
            self._seen.discard(self._lines[0])
        self._lines.append(line)
        self._seen.add(line)

    def lines(self) -> tuple[str, ...]:
        return tuple(self._lines)

    def __len__(self) -> int:
        return len(self._lines)

    def __iter__(self) -> Iterator[str]:
        return iter(self._lines)

    def copy(self) -> Memory:
        """An independent memory with the same lines (and bound)."""
        clone = Memory(self._lines.maxlen)
        for line in self._lines:
            clone.add(line)
        return clone
