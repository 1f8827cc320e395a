"""``GET /metrics``: the server's counters in Prometheus' text format."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import msgspec

from rafa_async.server._manager import MatchManager
from rafa_async.server._tournaments import TournamentManager

K = TypeVar("K", bound=str)


def _metric(name: str, kind: str, help_text: str, samples: dict[str, float]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{labels} {value:g}" for labels, value in samples.items()]
    return lines


def _by(label: str, counts: Mapping[K, float]) -> dict[str, float]:
    """One sample per key of ``counts``, labelled ``label="KEY"``."""
    return {f'{{{label}="{key}"}}': n for key, n in counts.items()}


def prometheus_text(
    manager: MatchManager, tournaments: TournamentManager, websocket_clients: int
) -> str:
    """Matches by status, LLM calls by outcome and their latency, watchers'
    dropped events and WebSocket clients; tournaments by status, and their
    matches by state.  (All on the SIMULATED LLM: ``rafa_simulated`` is 1.)"""
    calls = manager.llm_calls
    tournament_matches = msgspec.structs.asdict(tournaments.match_counts())
    lines = [
        *_metric("rafa_simulated", "gauge", "1: the matches run on the simulated LLM.", {"": 1}),
        *_metric(
            "rafa_matches",
            "gauge",
            "Matches the server remembers, by status.",
            _by("status", manager.counts()),
        ),
        *_metric(
            "rafa_llm_calls_total",
            "counter",
            "LLM calls ended, by outcome.",
            _by("outcome", dict(sorted(calls.items())) or {"ok": 0}),
        ),
        *_metric(
            "rafa_llm_call_latency_seconds",
            "summary",
            "Latency of the LLM calls ended.",
            {"_sum": manager.llm_latency_sum, "_count": sum(calls.values())},
        ),
        *_metric(
            "rafa_bus_dropped_events_total",
            "counter",
            "Events watchers missed by reading too slowly (the latest policy).",
            {"": manager.drops},
        ),
        *_metric(
            "rafa_websocket_clients",
            "gauge",
            "WebSocket clients connected.",
            {"": websocket_clients},
        ),
        *_metric(
            "rafa_tournaments",
            "gauge",
            "Tournaments the server remembers, by status.",
            _by("status", tournaments.counts()),
        ),
        *_metric(
            "rafa_tournament_matches",
            "gauge",
            "Matches of the tournaments the server remembers, by state (planned: all they "
            "will play; skipped: those an SPRT decision made unnecessary).",
            _by("state", tournament_matches),
        ),
    ]
    return "\n".join(lines) + "\n"
