"""Nim positions: frozen heaps, the player to move, the notation and the rules.

Normal-play Nim: A and B take turns; a move takes one or more objects from
one heap; whoever takes the last object wins, so a game always has a winner.
Every game starts from the heaps :data:`START`.

Notation (what actions, prompts and memory use): a move is
``<heap>:<count>``, heaps numbered from 1, so ``2:3`` takes 3 objects from
heap 2.

A position's *key* is the heap sizes joined by ``,``, then ``/`` and the
player to move: ``3,4,5/A`` is the start.  Unlike a tic-tac-toe board, the
heaps do not tell whose turn it is (a move takes any number of objects), so
the key names the player; heaps and player are the whole position, and
:func:`state_from_key` rebuilds it -- the simulated LLM relies on that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PLAYERS = ("A", "B")
"""A moves first."""

START = (3, 4, 5)
"""The heaps every game starts from."""

_MOVE_RE = re.compile(r"([1-9]\d*):([1-9]\d*)")
_KEY_RE = re.compile(r"(\d+(?:,\d+)*)/([AB])")


def opponent(player: str) -> str:
    if player not in PLAYERS:
        raise ValueError(f"unknown player {player!r} (nim players are A and B)")
    return "B" if player == "A" else "A"


@dataclass(frozen=True, slots=True)
class NimState:
    """A position: the heap sizes and who plays next.

    Build states with :meth:`initial`, :meth:`play` or :func:`state_from_key`;
    the constructor does not check.
    """

    heaps: tuple[int, ...]
    to_play: str
    moves: int = field(default=0, compare=False)
    """Moves made since the position was set up (a state rebuilt from its key
    counts from 0).  Not part of the position: the same heaps with the same
    player to move are the same position however many moves led there, so
    states compare and hash by heaps and player alone -- like their key."""

    @classmethod
    def initial(cls) -> NimState:
        return cls(START, PLAYERS[0])

    @property
    def key(self) -> str:
        return f"{','.join(map(str, self.heaps))}/{self.to_play}"

    @property
    def done(self) -> bool:
        return not any(self.heaps)

    @property
    def winner(self) -> str | None:
        """Whoever took the last object: the player who is not to move."""
        return opponent(self.to_play) if self.done else None

    @property
    def result(self) -> str:
        """``"A won"``, ``"B won"`` or ``"A to move"``."""
        winner = self.winner
        return f"{self.to_play} to move" if winner is None else f"{winner} won"

    def legal_moves(self) -> tuple[str, ...]:
        """Every move, heap by heap, fewest objects first (``1:1``, ``1:2``, ...)."""
        return tuple(
            f"{heap}:{count}"
            for heap, size in enumerate(self.heaps, 1)
            for count in range(1, size + 1)
        )

    def play(self, move: str) -> NimState:
        """The position after the player to move makes ``move``.

        Raises ``ValueError`` saying why when the move is not legal.
        """
        illegal = f"illegal move {move!r} for {self.to_play}"
        if self.done:
            raise ValueError(f"{illegal}: the game is over ({self.result})")
        found = _MOVE_RE.fullmatch(move)
        if found is None:
            raise ValueError(
                f"{illegal}: not a move (a move is <heap>:<count>, both from 1, e.g. 2:3)"
            )
        heap, count = int(found.group(1)), int(found.group(2))
        if heap > len(self.heaps):
            raise ValueError(f"{illegal}: there is no heap {heap} (heaps 1..{len(self.heaps)})")
        size = self.heaps[heap - 1]
        if count > size:
            has = f"has only {size}" if size else "is empty"
            raise ValueError(f"{illegal}: heap {heap} {has}")
        heaps = (*self.heaps[: heap - 1], size - count, *self.heaps[heap:])
        return NimState(heaps, opponent(self.to_play), self.moves + 1)

    def render(self) -> str:
        """The heaps as ASCII, one line each: ``heap 2: oooo (4)``."""
        return "\n".join(
            f"heap {heap}: {'o' * size or '-'} ({size})" for heap, size in enumerate(self.heaps, 1)
        )


def state_from_key(key: str) -> NimState:
    """The position a key names (see the module docstring).

    Raises ``ValueError`` naming the problem for text that is not a key, or
    whose heaps this game cannot reach (more heaps, or more objects in one, than
    :data:`START` has).
    """
    found = _KEY_RE.fullmatch(key.strip())
    if found is None:
        raise ValueError(
            f"not a nim key: {key!r} (expected the heap sizes and the player to move, "
            "like '3,4,5/A')"
        )
    heaps = tuple(int(size) for size in found.group(1).split(","))
    if len(heaps) != len(START) or any(h > s for h, s in zip(heaps, START, strict=True)):
        start = ",".join(map(str, START))
        raise ValueError(
            f"not a reachable nim position: {key!r} (the heaps start at {start} and only shrink)"
        )
    return NimState(heaps, found.group(2))
