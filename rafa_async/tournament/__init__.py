"""Tournaments: many matches between agent variants, rated, crash-safe.

A ``tournament.toml`` names the participants (seat kinds with their planner
parameters, provider and per-move deadline), the games, the format (round
robin, gauntlet against an anchor, Swiss), the games per pairing (played in
colour-swapped pairs), seeds, match concurrency, the LLM limits every match
shares, and an optional SPRT.  The runner plays the matches concurrently
and writes each to a SQLite database the moment it ends; ratings, reports
and exports are recomputed from that database at any time.
"""

from rafa_async.tournament._results import GameResult as GameResult

__all__ = ["GameResult"]
