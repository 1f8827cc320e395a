"""Connect Four positions: a frozen 7x6 board, its notation and its rules.

Notation: a move is the column a piece is dropped into, ``"1"``-``"7"`` left to
right; the piece falls to the lowest empty cell.  R (red) moves first, then Y
(yellow).

A position's *key* is the board alone, rows from the top (row 6) down, each
row left to right, rows joined by ``/``: ``"......./......./......./......./
......./...R..."`` (without the line break) has one red piece in column 4.
The player to move follows from the piece counts, so the key is enough to
rebuild a state (:func:`state_from_key`) -- the simulated LLM relies on that.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

PLAYERS = ("R", "Y")
"""R (red) moves first."""

EMPTY = "."
WIDTH = 7
HEIGHT = 6
COLUMNS = tuple(str(c + 1) for c in range(WIDTH))
"""Move names, left to right."""


def _windows() -> tuple[tuple[int, int, int, int], ...]:
    found = []
    for row in range(HEIGHT):
        for col in range(WIDTH):
            for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                cells = [(row + k * dr, col + k * dc) for k in range(4)]
                if all(0 <= r < HEIGHT and 0 <= c < WIDTH for r, c in cells):
                    a, b, c, d = (r * WIDTH + c for r, c in cells)
                    found.append((a, b, c, d))
    return tuple(found)


WINDOWS = _windows()
"""The 69 lines of four (as board indices ``row * 7 + column``, row 0 at the bottom)."""


def opponent(player: str) -> str:
    if player not in PLAYERS:
        raise ValueError(f"unknown player {player!r} (connect four players are R and Y)")
    return "Y" if player == "R" else "R"


@lru_cache(maxsize=1 << 16)
def winning_line(board: tuple[str, ...]) -> tuple[int, int, int, int] | None:
    """The first four in a row on ``board``, or None.  Memoised: ``to_move``,
    ``done`` and ``winner`` ask it again and again for the same board."""
    for line in WINDOWS:
        first = board[line[0]]
        if first != EMPTY and all(board[i] == first for i in line[1:]):
            return line
    return None


@dataclass(frozen=True, slots=True)
class ConnectFourState:
    """A position: the board (42 cells by index ``row * 7 + column``, row 0 at the
    bottom, ``"R"``, ``"Y"`` or ``"."``), who plays next, and how many moves were made.

    Build states with :meth:`initial`, :meth:`play` or :func:`state_from_key`,
    which keep the three fields consistent; the constructor does not check.
    """

    board: tuple[str, ...]
    to_play: str
    moves: int

    @classmethod
    def initial(cls) -> ConnectFourState:
        return cls((EMPTY,) * (WIDTH * HEIGHT), "R", 0)

    @property
    def key(self) -> str:
        rows = ("".join(self.board[r * WIDTH : (r + 1) * WIDTH]) for r in reversed(range(HEIGHT)))
        return "/".join(rows)

    @property
    def winner(self) -> str | None:
        line = winning_line(self.board)
        return None if line is None else self.board[line[0]]

    @property
    def done(self) -> bool:
        return self.moves == WIDTH * HEIGHT or winning_line(self.board) is not None

    @property
    def result(self) -> str:
        """``"R won"``, ``"Y won"``, ``"draw"`` or ``"R to move"``."""
        winner = self.winner
        if winner is not None:
            return f"{winner} won"
        return "draw" if self.moves == WIDTH * HEIGHT else f"{self.to_play} to move"

    def height(self, column: int) -> int:
        """Pieces in ``column`` (0-based)."""
        return sum(self.board[r * WIDTH + column] != EMPTY for r in range(HEIGHT))

    def legal_moves(self) -> tuple[str, ...]:
        """Columns that are not full, left to right; none when the game is over."""
        if self.done:
            return ()
        top = (HEIGHT - 1) * WIDTH
        return tuple(COLUMNS[c] for c in range(WIDTH) if self.board[top + c] == EMPTY)

    def play(self, column: str) -> ConnectFourState:
        """The position after the player to move drops a piece in ``column``.

        Raises ``ValueError`` saying why when the move is not legal.
        """
        player = self.to_play
        if self.done:
            raise ValueError(
                f"illegal move {column!r} for {player}: the game is over ({self.result})"
            )
        if column not in COLUMNS:
            raise ValueError(
                f"illegal move {column!r} for {player}: not a column (columns are 1..7)"
            )
        c = int(column) - 1
        row = self.height(c)
        if row == HEIGHT:
            legal = ", ".join(self.legal_moves())
            raise ValueError(
                f"illegal move {column!r} for {player}: column {column} is full (legal: {legal})"
            )
        i = row * WIDTH + c
        board = (*self.board[:i], player, *self.board[i + 1 :])
        return ConnectFourState(board, opponent(player), self.moves + 1)

    def render(self) -> str:
        """The board as ASCII, top row first, column numbers above."""
        lines = [" " + " ".join(COLUMNS)]
        for r in reversed(range(HEIGHT)):
            lines.append("|" + " ".join(self.board[r * WIDTH : (r + 1) * WIDTH]) + "|")
        return "\n".join(lines)


def state_from_key(key: str) -> ConnectFourState:
    """The position a key names (see the module docstring).

    Raises ``ValueError`` naming the problem for text that is not the key of a
    reachable position (bad shape or characters, floating pieces, impossible
    piece counts, a win by the wrong player).
    """
    rows = key.strip().split("/")
    if len(rows) != HEIGHT or any(len(row) != WIDTH for row in rows):
        raise ValueError(
            f"not a connect-four key: {key!r} (expected six rows of seven cells joined by '/')"
        )
    text = "".join(reversed(rows))
    bad = sorted(set(text) - {"R", "Y", EMPTY})
    if bad:
        raise ValueError(f"not a connect-four key: {key!r} (unexpected {''.join(bad)!r})")
    board = tuple(text)
    for i in range(WIDTH, len(board)):
        if board[i] != EMPTY and board[i - WIDTH] == EMPTY:
            raise ValueError(
                f"not a reachable connect-four position: {key!r} (a piece floats above an "
                f"empty cell in column {i % WIDTH + 1})"
            )
    reds, yellows = board.count("R"), board.count("Y")
    if reds - yellows not in (0, 1):
        raise ValueError(
            f"not a reachable connect-four position: {key!r} has {reds} R and {yellows} Y "
            "(R moves first, so R has as many pieces as Y or one more)"
        )
    last = "R" if reds > yellows else "Y"
    winners = {board[w[0]] for w in WINDOWS if board[w[0]] != EMPTY and _same(board, w)}
    if winners - {last}:
        raise ValueError(
            f"not a reachable connect-four position: {key!r} (play stops at the first "
            "four in a row, so only the player who moved last can have one)"
        )
    return ConnectFourState(board, "R" if reds == yellows else "Y", reds + yellows)


def _same(board: tuple[str, ...], line: tuple[int, int, int, int]) -> bool:
    first = board[line[0]]
    return all(board[i] == first for i in line[1:])
