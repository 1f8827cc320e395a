"""The protocol a board game's positions implement."""

from __future__ import annotations

from typing import Protocol, Self, TypeVar


class BoardState(Protocol):
    """A position of a two-player alternating game, immutable and named by its key."""

    @property
    def key(self) -> str: ...
    @property
    def to_play(self) -> str: ...
    @property
    def moves(self) -> int: ...
    @property
    def winner(self) -> str | None: ...
    @property
    def done(self) -> bool: ...
    @property
    def result(self) -> str: ...
    def legal_moves(self) -> tuple[str, ...]: ...
    def play(self, move: str, /) -> Self: ...
    def render(self) -> str: ...


S = TypeVar("S", bound=BoardState)
"""A board game's state type."""
M = TypeVar("M")
"""A board game's move record (a proposed or predicted move and where it leads)."""
