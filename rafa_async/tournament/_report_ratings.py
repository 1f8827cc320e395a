"""The report's ratings sections: the standings, head to head, the score heatmap.

All three are the ratings module's figures (:func:`standings`,
:func:`score_matrix`) of the database's finished games, laid out as
tables (and, with matplotlib, an interval plot and a heatmap).
"""

from __future__ import annotations

import math

from rafa_async.app import Plots, Section, Table, with_plot
from rafa_async.tournament._elo import EloEstimate
from rafa_async.tournament._ratings import standings
from rafa_async.tournament._report_data import ReportData
from rafa_async.tournament._report_plots import heatmap_png, ratings_png
from rafa_async.tournament._table import score_matrix


def elo_cell(value: float | None) -> str:
    """An Elo figure: signed, ``+inf``/``-inf`` spelled out, ``-`` for none."""
    if value is None:
        return "-"
    if math.isinf(value):
        return "+inf" if value > 0 else "-inf"
    return f"{value:+.0f}"


def interval_cell(elo: EloEstimate) -> str:
    if elo.lower is None or elo.upper is None:
        return "-"
    return f"[{elo_cell(elo.lower)}, {elo_cell(elo.upper)}]"


def rating_sections(data: ReportData, plots: Plots) -> list[Section]:
    """Ratings, head to head and the score heatmap of ``data``'s finished
    games; their plots drawn into ``plots``."""
    table = standings(data.results, data.participants)
    matrix = score_matrix(data.results, data.participants)
    source = data.source()
    ratings = Section(
        title="Ratings",
        notes=(
            source,
            "Ranked by openskill's ordinal (mu - 3 sigma, Plackett-Luce).  Elo: performance "
            "against the field it met (logistic), with its 95% interval over colour-swapped "
            "pairs (pentanomial) and unpaired games (trinomial); - where the games give no "
            "variance to bound it.",
        ),
        table=Table(
            headers=(
                "#",
                "participant",
                "provider",
                "games",
                "W-D-L",
                "score",
                "Elo",
                "95% CI",
                "mu",
                "sigma",
                "ordinal",
            ),
            rows=tuple(
                (
                    str(rank),
                    row.name,
                    data.stats[row.name].provider if row.name in data.stats else "-",
                    str(row.games),
                    f"{row.wins}-{row.draws}-{row.losses}",
                    "-" if row.elo.score is None else f"{row.elo.score:.3f}",
                    elo_cell(row.elo.elo),
                    interval_cell(row.elo),
                    f"{row.mu:.2f}",
                    f"{row.sigma:.2f}",
                    f"{row.ordinal:.2f}",
                )
                for rank, row in enumerate(table.rows, start=1)
            ),
        ),
    )
    head_to_head = Section(
        title="Head to head",
        notes=(
            source,
            "Each pairing from its first-named participant's side; pentanomial: the "
            "colour-swapped pairs in which it scored 0, 0.5, 1, 1.5, 2 points.",
        ),
        table=Table(
            headers=("pairing", "games", "W-D-L", "pentanomial", "Elo", "95% CI"),
            rows=tuple(
                (
                    h.pairing,
                    str(h.games),
                    f"{h.wins}-{h.draws}-{h.losses}",
                    " ".join(map(str, h.pentanomial)),
                    elo_cell(h.elo.elo),
                    interval_cell(h.elo),
                )
                for h in table.pairings
            ),
        ),
    )
    names = matrix.participants
    heatmap = Section(
        title="Pairwise scores",
        notes=(
            source,
            "Row participant's score fraction against the column participant over every "
            "game and both seat orders (W-D-L in brackets); - where they have not played.",
        ),
        table=Table(
            headers=("", *names),
            rows=tuple(
                (
                    name,
                    *(
                        "-" if score is None else f"{score:.2f} ({w.wins}-{w.draws}-{w.losses})"
                        for score, w in zip(matrix.score[i], matrix.wdl[i], strict=True)
                    ),
                )
                for i, name in enumerate(names)
            ),
        ),
    )
    rated = data.titled("Ratings")
    scored = data.titled("Pairwise scores")
    return [
        with_plot(ratings, plots, "ratings.png", lambda: ratings_png(rated, table.rows)),
        head_to_head,
        with_plot(heatmap, plots, "scores.png", lambda: heatmap_png(scored, matrix)),
    ]
