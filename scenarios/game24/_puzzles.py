"""The 1362 Game of 24 puzzles (ranked by human difficulty) shipped with the package."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from .._ranges import parse_ranges

TEST_RANKS = range(901, 1001)
"""The paper's test split: ranks 901-1000 (the hardest quarter ToT used)."""


@dataclass(frozen=True, slots=True)
class Puzzle:
    rank: int
    numbers: tuple[int, int, int, int]

    @property
    def id(self) -> str:
        """The rank, as text: the puzzle's episode is ``game24-<rank>``."""
        return str(self.rank)

    @property
    def text(self) -> str:
        return " ".join(map(str, self.numbers))


@cache
def all_puzzles() -> tuple[Puzzle, ...]:
    data = resources.files(__package__).joinpath("data", "24.csv").read_text(encoding="utf-8")
    puzzles = []
    for row in csv.DictReader(io.StringIO(data)):
        a, b, c, d = (int(x) for x in row["Puzzles"].split())
        puzzles.append(Puzzle(rank=int(row["Rank"]), numbers=(a, b, c, d)))
    return tuple(puzzles)


def parse_ranks(spec: str) -> list[int]:
    """``"901-1000"``, ``"5"`` or ``"1-3,10,20-22"`` -> sorted unique ranks.

    Raises :class:`~rafa_async.ConfigError` naming the bad part.
    """
    return parse_ranges(spec, len(all_puzzles()), what="puzzle range", example="901-1000")


def puzzles(spec: str = "901-1000") -> list[Puzzle]:
    by_rank = {p.rank: p for p in all_puzzles()}
    return [by_rank[r] for r in parse_ranks(spec)]
