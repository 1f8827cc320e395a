"""Win/draw/loss counts and the pairwise score matrix.

The plainest view of a tournament: who beat whom how often.  A report shows
the matrix as a heatmap; each cell is the row participant's record against
the column participant, over every game and both seat orders.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import msgspec

from rafa_async.tournament._games import check_results, points
from rafa_async.tournament._results import GameResult


class WDL(msgspec.Struct, frozen=True, kw_only=True):
    """Wins, draws and losses of one side."""

    wins: int = 0
    draws: int = 0
    losses: int = 0

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def points(self) -> float:
        return self.wins + 0.5 * self.draws

    @property
    def score(self) -> float | None:
        """The score fraction (points per game); ``None`` with no games."""
        return self.points / self.games if self.games else None


def tally(scores: Iterable[float]) -> WDL:
    """The :class:`WDL` of a side's game scores (1, 0.5, 0)."""
    counts = Counter(scores)
    return WDL(wins=counts[1.0], draws=counts[0.5], losses=counts[0.0])


def participant_names(games: Iterable[GameResult], participants: Sequence[str] = ()) -> list[str]:
    """``participants`` in their order, then everyone else who played, sorted:
    a participant with no finished game still has a row, and one missing
    from ``participants`` is not dropped."""
    named = list(dict.fromkeys(participants))
    played = {name for game in games for name in (game.first, game.second)}
    return named + sorted(played - set(named))


class ScoreMatrix(msgspec.Struct, frozen=True, kw_only=True):
    """Pairwise records: ``wdl[i][j]`` is ``participants[i]``'s record
    against ``participants[j]`` and ``score[i][j]`` its score fraction
    (``None`` where they have not played, and on the diagonal).  Where they
    have played, ``score[i][j] + score[j][i] == 1``."""

    participants: tuple[str, ...]
    wdl: tuple[tuple[WDL, ...], ...]
    score: tuple[tuple[float | None, ...], ...]


def score_matrix(results: Iterable[GameResult], participants: Sequence[str] = ()) -> ScoreMatrix:
    """The :class:`ScoreMatrix` of the games, its rows and columns in the
    order of :func:`participant_names`; :class:`~rafa_async.ConfigError` if
    a game is malformed (see :func:`check_results`)."""
    games = check_results(results)
    names = participant_names(games, participants)
    scores: defaultdict[tuple[str, str], list[float]] = defaultdict(list)
    for game in games:
        scores[game.first, game.second].append(points(game, game.first))
        scores[game.second, game.first].append(points(game, game.second))
    wdl = tuple(tuple(tally(scores[row, column]) for column in names) for row in names)
    return ScoreMatrix(
        participants=tuple(names),
        wdl=wdl,
        score=tuple(tuple(cell.score for cell in row) for row in wdl),
    )
