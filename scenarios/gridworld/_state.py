"""The foraging world's state: compact, immutable, with lazy per-state indexes.

Layout (what each agent costs): a cell is the integer ``y * width + x``, with
``x`` the column (0 west .. width-1 east) and ``y`` the row (0 north ..
height-1 south).  ``positions`` and ``eaten`` are ``bytes`` holding one
little-endian uint32 per agent (agent ``i`` is player ``a<i>``), so a state
costs 8 bytes per agent plus its food set, and a tick where nobody moved or
ate shares those buffers with the state before it.

Indexes (cell -> agent, food and agents by bucket) are built lazily, once per
state, the first time ``step``, ``observe`` or a planner asks; every agent
observing the same tick shares them.  They live in a slot excluded from
equality, hashing and ``repr``.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field

MOVES = ("N", "S", "E", "W", "stay")
"""Every action; all are always legal (a move into the border or into another
agent leaves the agent where it is)."""

DELTAS: dict[str, tuple[int, int]] = {
    "N": (0, -1),
    "S": (0, 1),
    "E": (1, 0),
    "W": (-1, 0),
    "stay": (0, 0),
}

_U32 = next(code for code in "IL" if array(code).itemsize == 4)
_SWAP = sys.byteorder == "big"


def pack(values: Iterable[int]) -> bytes:
    """uint32 values as little-endian bytes (the state's per-agent arrays)."""
    data = array(_U32, values)
    if _SWAP:
        data.byteswap()
    return data.tobytes()


def unpack(data: bytes) -> list[int]:
    values = array(_U32)
    values.frombytes(data)
    if _SWAP:
        values.byteswap()
    return values.tolist()


def unpack_one(data: bytes, i: int) -> int:
    return int.from_bytes(data[4 * i : 4 * i + 4], "little")


class _Cache:
    """Per-state derived data, each part built on first use."""

    __slots__ = ("agent_buckets", "bucket", "cells", "food_buckets", "occupant", "render")

    def __init__(self, cells: list[int] | None = None) -> None:
        self.cells = cells
        self.occupant: dict[int, int] | None = None
        self.bucket = 0
        self.food_buckets: dict[int, list[int]] | None = None
        self.agent_buckets: dict[int, list[int]] | None = None
        self.render: str | None = None


@dataclass(frozen=True, slots=True)
class ForagingState:
    """One tick of a foraging match (see the module docstring for the layout).

    ``seed`` is the episode's random stream (respawn draws depend on it and the
    tick only).  Build states with :meth:`Foraging.reset` and
    :meth:`Foraging.step`; the constructor does not check its arguments.
    """

    tick: int
    positions: bytes
    food: frozenset[int]
    eaten: bytes
    width: int
    height: int
    seed: int
    _cache: _Cache = field(default_factory=_Cache, repr=False, compare=False)

    @property
    def n_agents(self) -> int:
        return len(self.positions) // 4

    @property
    def total_eaten(self) -> int:
        return sum(unpack(self.eaten))

    def xy(self, cell: int) -> tuple[int, int]:
        y, x = divmod(cell, self.width)
        return x, y

    def cell_of(self, i: int) -> int:
        """Agent ``i``'s cell (O(1), without decoding every position)."""
        cells = self._cache.cells
        return cells[i] if cells is not None else unpack_one(self.positions, i)

    # -- lazy indexes --------------------------------------------------------------

    def cells(self) -> list[int]:
        """Every agent's cell, by agent index (shared: do not modify)."""
        cache = self._cache
        if cache.cells is None:
            cache.cells = unpack(self.positions)
        return cache.cells

    def occupant(self) -> dict[int, int]:
        """Cell -> index of the agent standing there (agents never share a cell)."""
        cache = self._cache
        if cache.occupant is None:
            cells = self.cells()
            cache.occupant = dict(zip(cells, range(len(cells)), strict=True))
        return cache.occupant

    def buckets(self, size: int) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
        """Food cells and agent indices by bucket: square blocks of ``size`` cells
        a side, numbered ``(y // size) * columns + x // size``."""
        cache = self._cache
        if cache.food_buckets is None or cache.agent_buckets is None or cache.bucket != size:
            width = self.width
            columns = -(-width // size)
            food: dict[int, list[int]] = {}
            for cell in self.food:
                y, x = divmod(cell, width)
                food.setdefault((y // size) * columns + x // size, []).append(cell)
            agents: dict[int, list[int]] = {}
            for i, cell in enumerate(self.cells()):
                y, x = divmod(cell, width)
                agents.setdefault((y // size) * columns + x // size, []).append(i)
            cache.bucket, cache.food_buckets, cache.agent_buckets = size, food, agents
        return cache.food_buckets, cache.agent_buckets
