"""What a tournament report shows, read from the database in one pass.

Everything is recomputed from the stored matches (finished ones only:
a failed match's calls and times are not results), so a report can be
written while the tournament runs, or long after.  Which LLM answered is
kept with every figure: the matches' own ``simulated`` flag (what the
stack that served the calls says) and each seat's provider.
"""

from __future__ import annotations

import msgspec

from rafa_async._errors import ConfigError
from rafa_async.llm import SIM_LABEL
from rafa_async.tournament._db import Counts, TournamentDB
from rafa_async.tournament._latency import DecisionKey, busiest, by_decision
from rafa_async.tournament._outcome import CallOutcome, SeatOutcome
from rafa_async.tournament._results import GameResult

SIM_PROVIDER = "sim"
"""A seat's provider when the embedded simulated LLM answers it."""


def provider_label(provider: str) -> str:
    """A seat provider as the report's tables show it: the sim says SIMULATED."""
    if provider == SIM_PROVIDER:
        return "sim (SIMULATED)"
    if provider == "-":
        return "- (no LLM)"
    return provider


class ParticipantStats(msgspec.Struct, kw_only=True):
    """One participant's figures over its finished games."""

    name: str
    providers: list[str] = msgspec.field(default_factory=list)
    """Its seats' providers (one, unless the config changed between runs)."""
    games: int = 0
    decisions: list[float] = msgspec.field(default_factory=list)
    """Seconds of every decision it made."""
    call_latencies: list[float] = msgspec.field(default_factory=list)
    """Seconds of every LLM call it made."""
    llm_calls: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    """Dollars over its games (``None``: a game's cost is unknown)."""
    cost_games: int = 0
    """Games whose cost is known."""
    late: int = 0

    @property
    def provider(self) -> str:
        return ", ".join(provider_label(p) for p in self.providers) or "-"

    def add_seat(self, seat: SeatOutcome) -> None:
        if seat.provider not in self.providers:
            self.providers.append(seat.provider)
        self.games += 1
        self.decisions += seat.decisions
        self.llm_calls += seat.llm_calls
        self.failed_calls += seat.failed_calls
        self.prompt_tokens += seat.prompt_tokens
        self.completion_tokens += seat.completion_tokens
        self.late += seat.late
        if seat.cost_usd is not None:
            self.cost_games += 1
            if self.cost_usd is not None:
                self.cost_usd += seat.cost_usd
        else:
            self.cost_usd = None


class ReportData(msgspec.Struct, kw_only=True):
    """A tournament's figures, ready to lay out."""

    name: str
    games: list[str]
    format: str
    counts: Counts
    skipped: int
    failures: list[tuple[str, str]]
    results: list[GameResult]
    participants: list[str]
    """In the config's order."""
    stats: dict[str, ParticipantStats]
    simulated: bool
    """Every finished match's calls came from the simulated LLM."""
    simulated_matches: int
    seats: dict[tuple[str, str], SeatOutcome]
    """(match id, seat) -> the seat's outcome."""
    moves: dict[str, list[dict[str, str]]]
    """Match id -> each turn's actions, seat -> action."""
    turn_starts: dict[str, list[float]]
    decisions: dict[DecisionKey, list[CallOutcome]]
    """Every decision that made LLM calls -> its calls."""
    outside: int
    """Calls that started before their match's first turn (in no decision)."""

    @property
    def finished(self) -> int:
        return self.counts.finished

    def source(self) -> str:
        """Which LLM the results came from, one sentence (every table carries it)."""
        n = self.finished
        if n == 0:
            return "No finished matches, so no LLM results."
        if self.simulated:
            return f"LLM: {SIM_LABEL}, in all {n} finished matches."
        if self.simulated_matches == 0:
            return f"LLM: real providers (not simulated), in all {n} finished matches."
        return (
            f"LLM: MIXED; {self.simulated_matches} of {n} finished matches used the "
            f"{SIM_LABEL}; each row names its provider."
        )

    def titled(self, title: str) -> str:
        """A plot's title, saying SIMULATED LLM when the results came from it."""
        if self.simulated:
            return f"{title} · SIMULATED LLM"
        if self.simulated_matches:
            return f"{title} · partly SIMULATED LLM"
        return title

    def participant(self, key: DecisionKey) -> SeatOutcome:
        return self.seats[key.match_id, key.seat]

    def check_decision(self, key: DecisionKey) -> None:
        """:class:`ConfigError` unless ``key`` is a decision its finished match made."""
        moves = self.moves.get(key.match_id)
        if moves is None:
            raise ConfigError(
                f"--decision {key}: no finished match {key.match_id!r}", fields=("decision",)
            )
        if key.turn > len(moves) or key.seat not in moves[key.turn - 1]:
            seats = sorted({s for (m, s) in self.seats if m == key.match_id})
            raise ConfigError(
                f"--decision {key}: seat {key.seat!r} made no move at turn {key.turn} "
                f"(the match has {len(moves)} turns; seats: {', '.join(seats)})",
                fields=("decision",),
            )

    def chosen(self, decision: DecisionKey | None) -> DecisionKey | None:
        """``decision`` (checked), or the one with the most LLM calls (``None``: none made any)."""
        if decision is None:
            return busiest(self.decisions)
        self.check_decision(decision)
        return decision


def read_report_data(db: TournamentDB) -> ReportData:
    """Every figure of :class:`ReportData` from ``db``."""
    config = db.config
    names = [p.name for p in config.participants]
    stats = {name: ParticipantStats(name=name) for name in names}
    seats: dict[tuple[str, str], SeatOutcome] = {}
    moves: dict[str, list[dict[str, str]]] = {}
    simulated_matches = 0
    for match in db.finished():
        match_id = match["match_id"]
        moves[match_id] = match["moves"]
        simulated_matches += match["simulated"]
        for seat in match["seats"]:
            seats[match_id, seat.seat] = seat
            stats.setdefault(seat.participant, ParticipantStats(name=seat.participant))
            stats[seat.participant].add_seat(seat)
    calls = db.calls()
    for match_id, call in calls:
        seat = seats.get((match_id, call.seat))
        if seat is not None:
            stats[seat.participant].call_latencies.append(call.latency)
    turn_starts = {match_id: db.turn_starts(match_id) for match_id in moves}
    decisions, outside = by_decision(calls, turn_starts)
    return ReportData(
        name=config.name,
        games=list(config.games),
        format=config.format,
        counts=db.counts(),
        skipped=db.skipped(),
        failures=db.failures(),
        results=db.results(),
        participants=list(stats),
        stats=stats,
        simulated=db.simulated(),
        simulated_matches=simulated_matches,
        seats=seats,
        moves=moves,
        turn_starts=turn_starts,
        decisions=decisions,
        outside=outside,
    )
