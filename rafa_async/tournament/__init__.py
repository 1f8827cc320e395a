"""Tournaments: many matches between agent variants, rated, crash-safe.

A ``tournament.toml`` names the participants (seat kinds with their planner
parameters, provider and per-move deadline), the games, the format (round
robin, gauntlet against an anchor, Swiss), the games per pairing (played in
colour-swapped pairs), seeds, match concurrency, the LLM limits every match
shares, and an optional SPRT.  The runner plays the matches concurrently
and writes each to a SQLite database the moment it ends; ratings, reports
and exports are recomputed from that database at any time:

- :func:`standings`: openskill ratings and Elo with 95% intervals per
  participant, and each pairing head to head (:class:`Standings`);
- :func:`score_matrix`: the pairwise win/draw/loss and score matrix;
- :func:`sprt`: whether a pairing's SPRT (:class:`SprtConfig`) is decided.
"""

from rafa_async.tournament._config import (
    FORMATS as FORMATS,
    Format as Format,
    Limits as Limits,
    Participant as Participant,
    TournamentConfig as TournamentConfig,
    load_tournament as load_tournament,
    parse_tournament as parse_tournament,
)
from rafa_async.tournament._db import Counts as Counts, TournamentDB as TournamentDB
from rafa_async.tournament._elo import (
    EloEstimate as EloEstimate,
    elo_difference as elo_difference,
    elo_estimate as elo_estimate,
    expected_score as expected_score,
)
from rafa_async.tournament._games import pairing_name as pairing_name
from rafa_async.tournament._outcome import (
    CallOutcome as CallOutcome,
    MatchOutcome as MatchOutcome,
    MatchState as MatchState,
    SeatOutcome as SeatOutcome,
)
from rafa_async.tournament._plan import (
    PlannedMatch as PlannedMatch,
    gauntlet as gauntlet,
    planned_matches as planned_matches,
    round_robin as round_robin,
    swiss_pairs as swiss_pairs,
    swiss_round as swiss_round,
)
from rafa_async.tournament._play import (
    CallRouter as CallRouter,
    Executor as Executor,
    LocalExecutor as LocalExecutor,
    play_planned as play_planned,
    tournament_llms as tournament_llms,
)
from rafa_async.tournament._ratings import (
    HeadToHead as HeadToHead,
    Rating as Rating,
    Standings as Standings,
    openskill_ratings as openskill_ratings,
    standings as standings,
)
from rafa_async.tournament._ray import (
    RAY_EXTRA as RAY_EXTRA,
    RayExecutor as RayExecutor,
    worker_shares as worker_shares,
)
from rafa_async.tournament._report import ReportFiles as ReportFiles, write_report as write_report
from rafa_async.tournament._results import GameResult as GameResult
from rafa_async.tournament._runner import Progress as Progress, run_tournament as run_tournament
from rafa_async.tournament._sprt import (
    Decision as Decision,
    SprtConfig as SprtConfig,
    SprtResult as SprtResult,
    log_likelihood_ratio as log_likelihood_ratio,
    sprt as sprt,
)
from rafa_async.tournament._table import (
    WDL as WDL,
    ScoreMatrix as ScoreMatrix,
    score_matrix as score_matrix,
)

__all__ = [
    "FORMATS",
    "RAY_EXTRA",
    "WDL",
    "CallOutcome",
    "CallRouter",
    "Counts",
    "Decision",
    "EloEstimate",
    "Executor",
    "Format",
    "GameResult",
    "HeadToHead",
    "Limits",
    "LocalExecutor",
    "MatchOutcome",
    "MatchState",
    "Participant",
    "PlannedMatch",
    "Progress",
    "Rating",
    "RayExecutor",
    "ReportFiles",
    "ScoreMatrix",
    "SeatOutcome",
    "SprtConfig",
    "SprtResult",
    "Standings",
    "TournamentConfig",
    "TournamentDB",
    "elo_difference",
    "elo_estimate",
    "expected_score",
    "gauntlet",
    "load_tournament",
    "log_likelihood_ratio",
    "openskill_ratings",
    "pairing_name",
    "parse_tournament",
    "planned_matches",
    "play_planned",
    "round_robin",
    "run_tournament",
    "score_matrix",
    "sprt",
    "standings",
    "swiss_pairs",
    "swiss_round",
    "tournament_llms",
    "worker_shares",
    "write_report",
]
