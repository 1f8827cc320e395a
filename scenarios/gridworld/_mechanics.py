"""The foraging rules' O(n) machinery: collision resolution, respawn draws, bucket rings."""

from __future__ import annotations

import random


def collide(
    cells: list[int], targets: list[int], movers: list[int], occupant: dict[int, int]
) -> bytearray:
    """Which movers bounce (flag per agent), in O(agents).

    A mover bounces when its target is claimed by another mover too, when the
    target's occupant stays or swaps with it, or -- propagated from every
    bounce -- when the occupant it follows bounces.
    """
    claim: dict[int, int] = {}
    for i in movers:
        t = targets[i]
        claim[t] = -1 if t in claim else i
    blocked = bytearray(len(cells))
    stack: list[int] = []
    for i in movers:
        t = targets[i]
        if claim[t] < 0:
            blocked[i] = 1
            stack.append(i)
            continue
        j = occupant.get(t)
        if j is not None and (targets[j] == t or targets[j] == cells[i]):
            blocked[i] = 1
            stack.append(i)
    while stack:
        k = claim.get(cells[stack.pop()], -1)
        if k >= 0 and not blocked[k]:
            blocked[k] = 1
            stack.append(k)
    return blocked


def free_cells(rng: random.Random, n: int, taken: set[int], total: int) -> list[int]:
    """``n`` distinct random cells not in ``taken`` (which it extends).  Draws at
    random while the map is roomy; lists the free cells when draws keep failing."""
    found: list[int] = []
    misses = 0
    while len(found) < n:
        cell = rng.randrange(total)
        if cell in taken:
            misses += 1
            if misses > 32 + 8 * n:
                free = [c for c in range(total) if c not in taken]
                rest = rng.sample(free, n - len(found))
                taken.update(rest)
                return found + rest
            continue
        taken.add(cell)
        found.append(cell)
    return found


def bucket_ring(bx: int, by: int, ring: int, columns: int, rows: int) -> list[tuple[int, int]]:
    """Buckets at Chebyshev bucket distance ``ring`` from ``(bx, by)``, on the grid."""
    if ring == 0:
        return [(bx, by)]
    out: list[tuple[int, int]] = []
    x0, x1 = max(0, bx - ring), min(columns - 1, bx + ring)
    for y in (by - ring, by + ring):
        if 0 <= y < rows:
            out.extend((x, y) for x in range(x0, x1 + 1))
    for x in (bx - ring, bx + ring):
        if 0 <= x < columns:
            y0, y1 = max(0, by - ring + 1), min(rows - 1, by + ring - 1)
            out.extend((x, y) for y in range(y0, y1 + 1))
    return out
