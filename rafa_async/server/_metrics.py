"""``GET /metrics``: the server's counters in Prometheus' text format."""

from __future__ import annotations

from rafa_async.server._manager import MatchManager


def _metric(name: str, kind: str, help_text: str, samples: dict[str, float]) -> list[str]:
    lines = [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
    lines += [f"{name}{labels} {value:g}" for labels, value in samples.items()]
    return lines


def prometheus_text(manager: MatchManager, websocket_clients: int) -> str:
    """Matches by status, LLM calls by outcome and their latency, watchers'
    dropped events and WebSocket clients.  (All on the SIMULATED LLM:
    ``rafa_simulated`` is 1.)"""
    calls = manager.llm_calls
    lines = [
        *_metric("rafa_simulated", "gauge", "1: the matches run on the simulated LLM.", {"": 1}),
        *_metric(
            "rafa_matches",
            "gauge",
            "Matches the server remembers, by status.",
            {f'{{status="{s}"}}': n for s, n in manager.counts().items()},
        ),
        *_metric(
            "rafa_llm_calls_total",
            "counter",
            "LLM calls ended, by outcome.",
            {f'{{outcome="{o}"}}': n for o, n in sorted(calls.items())} or {'{outcome="ok"}': 0},
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
    ]
    return "\n".join(lines) + "\n"
