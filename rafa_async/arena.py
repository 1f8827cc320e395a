"""The old name of :mod:`rafa_async.app`'s series of matches and replays,
kept for programs (and match logs) written against it: every name here is
:mod:`rafa_async.app`'s (``summarize`` is
:func:`~rafa_async.app.summarize_series`).  New code imports from
:mod:`rafa_async.app`.
"""

from rafa_async.app import (
    LLM_KINDS as LLM_KINDS,
    MatchRecord as MatchRecord,
    MatchStatus as MatchStatus,
    Phase as Phase,
    PlayConfig as PlayConfig,
    ReplayCheck as ReplayCheck,
    ReplayStatus as ReplayStatus,
    SeatSummary as SeatSummary,
    SeriesSummary as SeriesSummary,
    match_error as match_error,
    match_id as match_id,
    matches_to_replay as matches_to_replay,
    play_series as play_series,
    read_match_log as read_match_log,
    replay_log as replay_log,
    replay_matches as replay_matches,
    seating as seating,
    summarize_series,
)

summarize = summarize_series

__all__ = [
    "LLM_KINDS",
    "MatchRecord",
    "MatchStatus",
    "Phase",
    "PlayConfig",
    "ReplayCheck",
    "ReplayStatus",
    "SeatSummary",
    "SeriesSummary",
    "match_error",
    "match_id",
    "matches_to_replay",
    "play_series",
    "read_match_log",
    "replay_log",
    "replay_matches",
    "seating",
    "summarize",
]
