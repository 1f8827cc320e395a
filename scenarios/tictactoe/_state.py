"""Tic-tac-toe positions: a frozen board, its notation and its rules.

Notation (what actions, prompts and memory use): a cell is its column letter
``a``-``c`` (left to right) and its row number ``1``-``3`` (bottom to top), as
on a chess board, so ``b2`` is the centre and ``a3`` the top-left corner.

A position's *key* is the board alone, rows from the top (row 3) down, each
row left to right, rows joined by ``/``: ``"O../.X./..."`` has O on ``a3`` and
X on ``b2``.  The player to move follows from the board (X moves first, so X
is to move when both have played as often), which is why the key is enough to
rebuild a state (:func:`state_from_key`) -- the simulated LLM relies on that.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

PLAYERS = ("X", "O")
"""X moves first."""

EMPTY = "."
SIZE = 3
COLUMNS = "abc"
ROWS = "123"
CELLS = tuple(f"{col}{row}" for row in ROWS for col in COLUMNS)
"""Cell names by board index: index ``(row - 1) * 3 + column``, so ``a1`` is 0."""

INDEX = {cell: i for i, cell in enumerate(CELLS)}

LINES: tuple[tuple[int, int, int], ...] = (
    *((r * 3, r * 3 + 1, r * 3 + 2) for r in range(SIZE)),
    *((c, c + 3, c + 6) for c in range(SIZE)),
    (0, 4, 8),
    (2, 4, 6),
)
"""The eight lines: rows, columns, diagonals (as board indices)."""


def opponent(player: str) -> str:
    if player not in PLAYERS:
        raise ValueError(f"unknown player {player!r} (tic-tac-toe players are X and O)")
    return "O" if player == "X" else "X"


@lru_cache(maxsize=1 << 15)
def winning_line(board: tuple[str, ...]) -> tuple[int, int, int] | None:
    """The first completed line on ``board``, or None.  Memoised: every search
    and every ``to_move`` asks it again for the same few thousand boards."""
    for line in LINES:
        a, b, c = (board[i] for i in line)
        if a != EMPTY and a == b == c:
            return line
    return None


@dataclass(frozen=True, slots=True)
class TicTacToeState:
    """A position: the board (9 cells by :data:`CELLS` index, ``"X"``, ``"O"`` or
    ``"."``), who plays next, and how many moves were made.

    Build states with :meth:`initial`, :meth:`play` or :func:`state_from_key`,
    which keep the three fields consistent; the constructor does not check.
    """

    board: tuple[str, ...]
    to_play: str
    moves: int

    @classmethod
    def initial(cls) -> TicTacToeState:
        return cls((EMPTY,) * 9, "X", 0)

    @property
    def key(self) -> str:
        rows = ("".join(self.board[r * 3 : r * 3 + 3]) for r in reversed(range(SIZE)))
        return "/".join(rows)

    @property
    def winner(self) -> str | None:
        line = winning_line(self.board)
        return None if line is None else self.board[line[0]]

    @property
    def line(self) -> tuple[str, ...]:
        """The cells of the winning line (empty if nobody has won)."""
        found = winning_line(self.board)
        return () if found is None else tuple(CELLS[i] for i in found)

    @property
    def done(self) -> bool:
        return self.moves == 9 or winning_line(self.board) is not None

    def legal_moves(self) -> tuple[str, ...]:
        """Empty cells in board order (``a1``, ``b1``, ``c1``, ``a2``, ...); none when done."""
        if self.done:
            return ()
        return tuple(CELLS[i] for i, v in enumerate(self.board) if v == EMPTY)

    def play(self, cell: str) -> TicTacToeState:
        """The position after the player to move takes ``cell``.

        Raises ``ValueError`` saying why when the move is not legal.
        """
        player = self.to_play
        if self.done:
            raise ValueError(
                f"illegal move {cell!r} for {player}: the game is over ({self.result})"
            )
        i = INDEX.get(cell)
        if i is None:
            raise ValueError(f"illegal move {cell!r} for {player}: not a cell (cells are a1..c3)")
        if self.board[i] != EMPTY:
            legal = ", ".join(self.legal_moves())
            raise ValueError(
                f"illegal move {cell!r} for {player}: {cell} is taken by {self.board[i]} "
                f"(legal: {legal})"
            )
        board = (*self.board[:i], player, *self.board[i + 1 :])
        return TicTacToeState(board, opponent(player), self.moves + 1)

    @property
    def result(self) -> str:
        """``"X won"``, ``"O won"``, ``"draw"`` or ``"X to move"``."""
        winner = self.winner
        if winner is not None:
            return f"{winner} won"
        return "draw" if self.moves == 9 else f"{self.to_play} to move"

    def render(self) -> str:
        """The board as ASCII, top row first, with coordinates."""
        lines = ["  a b c"]
        for r in reversed(range(SIZE)):
            lines.append(f"{r + 1} " + " ".join(self.board[r * 3 : r * 3 + 3]))
        return "\n".join(lines)


def state_from_key(key: str) -> TicTacToeState:
    """The position a key names (see the module docstring).

    Raises ``ValueError`` naming the problem for text that is not the key of a
    reachable position (bad shape, bad characters, impossible piece counts).
    """
    rows = key.strip().split("/")
    if len(rows) != SIZE or any(len(row) != SIZE for row in rows):
        raise ValueError(f"not a tic-tac-toe key: {key!r} (expected three rows like 'X../.O./...')")
    text = "".join(reversed(rows))
    bad = sorted(set(text) - {"X", "O", EMPTY})
    if bad:
        raise ValueError(f"not a tic-tac-toe key: {key!r} (unexpected {''.join(bad)!r})")
    board = tuple(text)
    xs, os = board.count("X"), board.count("O")
    if xs - os not in (0, 1):
        raise ValueError(
            f"not a reachable tic-tac-toe position: {key!r} has {xs} X and {os} O "
            "(X moves first, so X has as many pieces as O or one more)"
        )
    winners = {board[line[0]] for line in LINES if board[line[0]] != EMPTY and _same(board, line)}
    last = "X" if xs > os else "O"
    if winners - {last}:
        raise ValueError(
            f"not a reachable tic-tac-toe position: {key!r} (play stops at the first "
            "line, so only the player who moved last can have one)"
        )
    return TicTacToeState(board, "X" if xs == os else "O", xs + os)


def _same(board: tuple[str, ...], line: tuple[int, int, int]) -> bool:
    a, b, c = line
    return board[a] == board[b] == board[c]
