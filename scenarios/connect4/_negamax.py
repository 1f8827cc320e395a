"""Connect Four search: depth-limited negamax with alpha-beta on bitboards.

Connect Four is solved, but a perfect solver in pure Python is far too slow
for an oracle asked thousands of times per match, so the oracle looks
:data:`DEPTH` plies ahead and scores the frontier with a heuristic.

Scores are for the player to move.  A win found in the search scores
``WIN - n`` (``n``: pieces on the board before the winning move), so sooner
wins score higher and later losses less badly; the heuristic stays far below
(|h| < 200), so a found win or loss always dominates it.  The heuristic
counts empty cells that would complete a four for each side (threats), plus
pieces in the centre columns, where most fours pass.

Representation (as in Pascal Pons' solver): one bit per cell, column-major,
seven bits a column (six cells and a sentinel bit that keeps shifted lines
from wrapping into the next column); ``pos`` holds the mover's pieces and
``mask`` all pieces.  A move is ``mask | (mask + bottom of column)``.
"""

from __future__ import annotations

from functools import lru_cache

from ._state import COLUMNS, EMPTY, HEIGHT, WIDTH, ConnectFourState

DEPTH = 4
"""Default look-ahead in plies.  One uncached ``best_moves``/``value`` call,
measured on the 2-core dev machine over 200 positions 6-28 moves in (random
play, and depth-2 self-play): median 0.8-1.7 ms, 90th percentile 2.4-3.2 ms,
worst 4-7 ms.  Depth 5 has a 90th percentile of 7-9 ms and a worst case near
20 ms -- too slow for an oracle asked per request.  Results are memoised per
(board, depth), so repeated samples of one position cost microseconds."""

WIN = 1000
_H1 = HEIGHT + 1
_BOTTOM = sum(1 << (c * _H1) for c in range(WIDTH))
_FULL = _BOTTOM * ((1 << HEIGHT) - 1)
_COLUMN = tuple(((1 << HEIGHT) - 1) << (c * _H1) for c in range(WIDTH))
_ORDER = (3, 2, 4, 1, 5, 0, 6)
"""Centre first: the best move is usually central, which makes alpha-beta cut early."""
_CENTRE = _COLUMN[3]
_NEAR_CENTRE = _COLUMN[2] | _COLUMN[4]
_CELLS = WIDTH * HEIGHT


def _winning_cells(pos: int, mask: int) -> int:
    """Empty cells where a piece would complete a four of ``pos``'s pieces."""
    r = (pos << 1) & (pos << 2) & (pos << 3)  # vertical: only upwards
    for s in (_H1, _H1 - 1, _H1 + 1):  # horizontal and both diagonals
        p = (pos << s) & (pos << 2 * s)
        r |= p & (pos << 3 * s)
        r |= p & (pos >> s)
        p = (pos >> s) & (pos >> 2 * s)
        r |= p & (pos << s)
        r |= p & (pos >> 3 * s)
    return r & (_FULL ^ mask)


def _heuristic(pos: int, opp: int, mask: int) -> int:
    threats = _winning_cells(pos, mask).bit_count() - _winning_cells(opp, mask).bit_count()
    centre = (pos & _CENTRE).bit_count() - (opp & _CENTRE).bit_count()
    near = (pos & _NEAR_CENTRE).bit_count() - (opp & _NEAR_CENTRE).bit_count()
    return 4 * threats + 2 * centre + near


def _negamax(pos: int, mask: int, moves: int, depth: int, alpha: int, beta: int) -> int:
    """Fail-soft alpha-beta score of a position that is not yet won or drawn."""
    if moves == _CELLS:
        return 0
    possible = (mask + _BOTTOM) & _FULL
    if _winning_cells(pos, mask) & possible:
        return WIN - moves
    opp = pos ^ mask
    candidates = possible
    threats = _winning_cells(opp, mask) & possible
    if threats:
        if threats & (threats - 1):  # two threats: block one, lose to the other
            return -(WIN - moves - 1)
        candidates = threats  # the only move that does not lose at once
    if depth == 0:
        return _heuristic(pos, opp, mask)
    best = -2 * WIN
    for c in _ORDER:
        move = candidates & _COLUMN[c]
        if not move:
            continue
        score = -_negamax(opp, mask | move, moves + 1, depth - 1, -beta, -alpha)
        if score > best:
            best = score
            if best > alpha:
                alpha = best
                if alpha >= beta:
                    break
    return best


@lru_cache(maxsize=1 << 16)
def _bits(board: tuple[str, ...]) -> tuple[int, int, int]:
    """(mover's pieces, all pieces, number of pieces) as bitboards."""
    moves = _CELLS - board.count(EMPTY)
    mover = "R" if moves % 2 == 0 else "Y"
    pos = mask = 0
    for i, cell in enumerate(board):
        if cell != EMPTY:
            bit = 1 << ((i % WIDTH) * _H1 + i // WIDTH)
            mask |= bit
            if cell == mover:
                pos |= bit
    return pos, mask, moves


@lru_cache(maxsize=1 << 14)
def _root(board: tuple[str, ...], depth: int) -> tuple[int, tuple[int, ...]]:
    """Score for the mover and the best columns (centre first).

    Each column is searched with the window ``(best - 1, +inf)``: a column that
    cannot beat the best so far fails low cheaply, and the ones that tie are
    still scored exactly, so every best move is found, not just the first.
    """
    pos, mask, moves = _bits(board)
    opp = pos ^ mask
    if _won(opp):
        return -(WIN - moves + 1), ()
    if moves == _CELLS:
        return 0, ()
    possible = (mask + _BOTTOM) & _FULL
    best = -2 * WIN
    found: list[tuple[int, int]] = []
    for c in _ORDER:
        move = possible & _COLUMN[c]
        if not move:
            continue
        new_mask = mask | move
        if _won(pos | move):
            points = WIN - moves
        else:
            points = -_negamax(opp, new_mask, moves + 1, depth - 1, -2 * WIN, 1 - best)
        found.append((c, points))
        best = max(best, points)
    return best, tuple(c for c, s in found if s == best)


def _won(pos: int) -> bool:
    for s in (1, _H1, _H1 - 1, _H1 + 1):
        m = pos & (pos >> s)
        if m & (m >> 2 * s):
            return True
    return False


def score(state: ConnectFourState, depth: int = DEPTH) -> int:
    """The search score for the player to move (see the module docstring)."""
    _check(depth)
    return _root(state.board, depth)[0]


def value(state: ConnectFourState, depth: int = DEPTH) -> float:
    """The search's verdict for the player to move, in [-1, 1]: exactly 1 / -1 for
    a win / loss found within ``depth`` plies, 0 for a full board, and the
    heuristic scaled and clamped to [-0.9, 0.9] otherwise.  In a finished game the
    player "to move" is the one who did not make the last move."""
    return to_value(score(state, depth))


def value_for(state: ConnectFourState, player: str, depth: int = DEPTH) -> float:
    """:func:`value` from ``player``'s side."""
    v = value(state, depth)
    return v if player == state.to_play else -v


def to_value(points: int) -> float:
    """A search score as a value in [-1, 1]."""
    if points >= WIN - _CELLS:
        return 1.0
    if points <= -(WIN - _CELLS):
        return -1.0
    return max(-0.9, min(0.9, points / 50))


def best_moves(state: ConnectFourState, depth: int = DEPTH) -> tuple[str, ...]:
    """Every column with the best search score, centre first; empty when the game is over."""
    _check(depth)
    return tuple(COLUMNS[c] for c in _root(state.board, depth)[1])


def _check(depth: int) -> None:
    if depth < 1:
        raise ValueError(f"search depth must be >= 1 ply, got {depth}")
