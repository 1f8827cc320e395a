"""``rafa tournament report``: a tournament database's Markdown and HTML report.

Registered on the ``tournament`` sub-app; the report itself is
:func:`rafa_async.tournament.write_report`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from rich.markup import escape

from rafa_async._errors import ConfigError
from rafa_async.app import PLOT_EXTRA
from rafa_async.cli._app import fail, out
from rafa_async.cli._console import err
from rafa_async.cli._options import OUTPUT, option
from rafa_async.cli._tournament import DbArgument, tournament
from rafa_async.tournament import TournamentDB, write_report


@tournament.command("report")
def report(
    db: DbArgument,
    out_dir: Annotated[
        Path,
        option(
            "The directory to write report.md, report.html (self-contained) and the "
            "plots' PNGs into (made if missing; the report's own files are replaced).",
            OUTPUT,
            "--out",
        ),
    ],
    decision: Annotated[
        str | None,
        option(
            "The decision whose LLM calls the timeline shows: <match id>:<seat>:<turn> "
            "(turns count from 1; default: the decision with the most LLM calls).",
            OUTPUT,
            "--decision",
        ),
    ] = None,
) -> None:
    """Write a tournament's report (Markdown and HTML): ratings, scores, latency, cost.

    Ratings with intervals, pairwise scores, decision and LLM-call latency
    percentiles, cost per game, and one decision's LLM calls on a timeline
    with their critical path."""
    try:
        with TournamentDB.open(db) as database:
            files = write_report(database, out_dir, decision=decision)
    except ConfigError as error:
        fail(error)
    for path in files.paths:
        out.print(f"wrote {path}", highlight=False, soft_wrap=True)
    if not files.plotted:
        err.print(f"no plots: they need matplotlib ({escape(PLOT_EXTRA)})", highlight=False)
