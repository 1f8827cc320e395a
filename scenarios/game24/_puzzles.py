"""The 1362 Game of 24 puzzles (ranked by human difficulty) shipped with the package."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rafa_async import ConfigError

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

    Raises :class:`ConfigError` naming the bad part.
    """
    total = len(all_puzzles())
    ranks: set[int] = set()
    for part in spec.split(","):
        part = part.strip()
        if not part:
            raise ConfigError(f"bad puzzle range {spec!r}: empty part")
        lo_text, sep, hi_text = part.partition("-")
        try:
            lo = int(lo_text)
            hi = int(hi_text) if sep else lo
        except ValueError:
            raise ConfigError(
                f"bad puzzle range {spec!r}: {part!r} is not N or N-M (e.g. 901-1000)"
            ) from None
        if not 1 <= lo <= hi <= total:
            raise ConfigError(
                f"bad puzzle range {spec!r}: {part!r} must satisfy 1 <= N <= M <= {total}"
            )
        ranks.update(range(lo, hi + 1))
    return sorted(ranks)


def puzzles(spec: str = "901-1000") -> list[Puzzle]:
    by_rank = {p.rank: p for p in all_puzzles()}
    return [by_rank[r] for r in parse_ranks(spec)]
