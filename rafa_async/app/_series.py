"""Series of shared matches: training then evaluation, with a match log.

The library form of ``rafa play``::

    config = PlayConfig(game="tictactoe", seats={"X": "rafa", "O": "random"}, episodes=20)
    records, summary = await play_series(config)

Seat kinds are ``rafa`` (MPC look-ahead with the LLM as actor, opponent
model and critic), ``direct`` (one LLM call per move), or one of the game's
fixed policies (e.g. ``random``, ``perfect``).  ``train`` matches run first,
one after another, and each LLM seat's memory carries over (RAFA learns the
opponent's tendencies); then ``episodes`` evaluation matches run up to
``concurrency`` at a time, each from a copy of the trained memory, so they
are independent of one another and of scheduling.

Every match's host events go to the match log (one JSON line each, with
``MatchStarted.options["config"]`` holding this config), which
:func:`~rafa_async.app.replay_log` re-runs and checks match by match.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Collection, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, Literal

import anyio
import msgspec

from rafa_async._concurrency import first_leaf, for_each_limited
from rafa_async._context import CallCounts, episode_scope
from rafa_async._errors import ConfigError, ProviderUnavailable
from rafa_async._events import Event, EventRecorder, EventSink, log_digest
from rafa_async._match import Player, open_match
from rafa_async.agents import Memory, PlayerStats
from rafa_async.app._llm import LLMOptions, run_llm
from rafa_async.app._seats import SeatContext, SeatOptions, make_player, seat_kinds, uses_llm
from rafa_async.llm import LLM, LatencyModel, MiddlewareStack, NoiseModel, total_cost
from rafa_async.scenarios import GameSpec, get_game, simulated_llm

Phase = Literal["train", "eval"]
MatchStatus = Literal["done", "error"]


class PlayConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Everything that determines a series' results (with the sim: all of them)."""

    game: str
    seats: dict[str, str]
    episodes: int = 10
    train: int = 0
    seed: int = 0
    provider: str = "sim"
    n_candidates: int = 5
    n_evaluate: int = 1
    speculate: bool = False
    concurrency: int = 8
    llm_concurrency: int = 256
    move_timeout: float | None = None
    rotate: bool = False
    """Rotate the players through the seats, one step a match (e.g. X and O
    swap every match), so no player keeps the first move; each player keeps
    its own memory wherever it sits, and results are reported per player."""
    latency: LatencyModel = LatencyModel()
    noise: NoiseModel | None = None

    def validate(self) -> GameSpec[Any, Any]:
        spec = get_game(self.game)
        if set(self.seats) != set(spec.seats):
            given = ", ".join(self.seats) or "none"
            raise ConfigError(f"{self.game} seats are {', '.join(spec.seats)}; got {given}")
        kinds = seat_kinds(spec)
        for seat, kind in self.seats.items():
            if kind not in kinds:
                raise ConfigError(
                    f"unknown player {kind!r} for seat {seat} (known: {', '.join(kinds)})"
                )
        for name in ("episodes", "train"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be >= 0", fields=(name,))
        if self.episodes + self.train == 0:
            raise ConfigError(
                "episodes and train are both 0: there is nothing to play",
                fields=("episodes", "train"),
            )
        for name in ("n_candidates", "n_evaluate", "concurrency", "llm_concurrency"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1", fields=(name,))
        timeout = self.move_timeout
        if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
            raise ConfigError(
                f"move_timeout must be a number of seconds > 0, got {timeout:g}",
                fields=("move_timeout",),
            )
        return spec

    @property
    def seat_options(self) -> SeatOptions:
        """How this series' LLM players play."""
        return SeatOptions(
            n_candidates=self.n_candidates, n_evaluate=self.n_evaluate, speculate=self.speculate
        )


class MatchRecord(msgspec.Struct, kw_only=True):
    """One line of ``rafa play --out``.

    ``status`` is ``"done"`` for a match played to its end, ``"error"`` when a
    provider error decided it: the provider became unavailable mid-match
    (``ProviderUnavailable``; the match stopped, ``scores`` is empty), or an
    LLM seat had not one of its calls answered and at least one failed (its
    moves were fallbacks: the result says nothing about the model).  ``error``
    holds the message.  Errored matches are left out of the seats' results
    and counted in :attr:`SeriesSummary.errors`.
    """

    game: str
    match: str
    phase: str
    status: MatchStatus = "done"
    error: str | None = None
    """Why the status is ``"error"``; ``None`` otherwise."""
    seats: dict[str, str]
    """Seat -> the kind of player who sat there in this match."""
    scores: dict[str, float]
    turns: int
    late: dict[str, int]
    rejected: dict[str, int]
    llm_calls: int
    plans: int
    plans_cancelled: int
    speculation_hits: int
    speculation_misses: int
    digest: str
    wall_s: float
    simulated: bool
    cost_usd: dict[str, float | None] = msgspec.field(default_factory=dict)
    """Per LLM seat: dollars by the price table (``None``: unknown; 0: sim)."""
    seating: dict[str, str] = msgspec.field(default_factory=dict)
    """Seat -> the player sitting there, named by the seat it was declared for
    (differs from the seat only with ``rotate``)."""


class SeatSummary(msgspec.Struct, kw_only=True):
    """One player's results over the evaluation matches (never the training ones)."""

    seat: str
    kind: str
    wins: int
    draws: int
    losses: int
    mean_score: float | None
    """``None`` when there was no evaluation match to score."""
    cost_usd: float | None = None
    """What its LLM calls cost in every match, training included (``None``: unknown)."""


class SeriesSummary(msgspec.Struct, kw_only=True):
    """A series' results.  The seats' wins, draws, losses and mean scores
    count the ``evaluation_matches`` only; LLM calls, plans, speculation, cost
    and wall time count every match, the ``training_matches`` included."""

    game: str
    simulated: bool
    evaluation_matches: int
    training_matches: int
    seats: list[SeatSummary]
    """One line per player (named by its declared seat; with ``rotate``,
    ``seat`` lists the seats it sat in, e.g. ``X/O``), over the evaluation
    matches without a provider error."""
    errors: int = 0
    """Matches whose status is ``"error"`` (a provider error, not a player's
    play), of either phase; ``evaluation_matches`` and ``training_matches``
    count the others, so the three add up to every match played."""
    llm_calls: int
    plans: int
    plans_cancelled: int
    speculation_hit_rate: float | None
    wall_s: float


LLM_TIMEOUT = 120.0
"""Seconds per attempt of a series' LLM calls when it opens the LLM itself."""


@asynccontextmanager
async def series_llm(
    config: PlayConfig, llm: LLM | None, recorder: EventRecorder | None
) -> AsyncIterator[MiddlewareStack]:
    """The LLM the matches of ``config`` share, given ``llm=`` (see
    :func:`play_series`): by default :func:`~rafa_async.app.open_llm` of the
    sim of ``config``, ``config.llm_concurrency`` calls at once."""
    options = LLMOptions(max_concurrency=config.llm_concurrency, timeout=LLM_TIMEOUT)
    async with run_llm(
        llm,
        options,
        provider=config.provider,
        sim=lambda: simulated_llm(seed=config.seed, noise=config.noise, latency=config.latency),
        recorder=recorder,
        seed=config.seed,
    ) as shared:
        yield shared


def _recorder(trace: EventSink | EventRecorder | None) -> EventRecorder | None:
    return trace if trace is None or isinstance(trace, EventRecorder) else EventRecorder(trace)


class _Series:
    """Builds the players of each match; holds the shared LLM and the memories
    (each LLM player's, by its declared seat: ``memories``, else new ones)."""

    def __init__(
        self,
        config: PlayConfig,
        spec: GameSpec[Any, Any],
        llm: LLM,
        trace: EventRecorder | None,
        memories: Mapping[str, Memory] | None = None,
    ) -> None:
        self.config = config
        self.spec = spec
        self.llm = llm
        self.trace = trace
        given = memories if memories is not None else {}
        self.memories = {
            seat: given[seat] if seat in given else Memory()  # (an empty Memory is falsy)
            for seat, kind in config.seats.items()
            if uses_llm(kind)
        }

    def players(self, episode: int, phase: Phase) -> dict[str, Player]:
        """Each seat's player in match ``episode``; a player is named by the
        seat it was declared for (its memory follows it: see ``seating``)."""
        players: dict[str, Player] = {}
        for seat, who in seating(self.config, episode).items():
            memory = self.memories.get(who)
            if memory is not None and phase == "eval":
                memory = memory.copy()  # evaluation matches do not teach each other
            context = SeatContext(
                llm=self.llm,
                spec=self.spec,
                world=self.spec.world(seat),
                seat=seat,
                memory=memory,
                recorder=self.trace,
                seed=self.config.seed,
                episode=episode,
            )
            players[seat] = make_player(self.config.seats[who], self.config.seat_options, context)
        return players


async def play_series(
    config: PlayConfig,
    *,
    log: EventSink | None = None,
    on_match: Callable[[MatchRecord], None] | None = None,
    llm: LLM | None = None,
    trace: EventSink | EventRecorder | None = None,
    skip: Collection[str] = (),
) -> tuple[list[MatchRecord], SeriesSummary]:
    """Play ``config.train`` training matches in order, then ``config.episodes``
    evaluation matches concurrently.  ``log`` receives every match's host
    events (the replayable match log), ``trace`` the players' plan events and
    every LLM call; ``on_match`` is called as each match ends.  Cancellable.

    ``llm``: the provider (wrapped here in the standard middleware), or a
    ready :class:`~rafa_async.llm.MiddlewareStack` used as it is (give it the
    same ``trace`` recorder); by default the sim.

    A provider that becomes unavailable (:class:`~rafa_async.ProviderUnavailable`)
    stops the series: the match it stopped is recorded (status ``"error"``,
    passed to ``on_match``), matches still running are cancelled, and the
    error is raised.

    ``skip``: ids of matches already played (``rafa play --resume``).  They
    are not recorded, logged or returned again.  An evaluation match in it
    is not played at all.  A training match in it is played again if any
    match is left to play, because the memory it builds is what the later
    matches start from: with the sim, and a series seeded as before, the
    replayed matches are the same as the first time, so the series ends as
    if it had never stopped.  (A real provider answers afresh: the memory,
    and the matches that build on it, may differ.)
    """
    spec = config.validate()
    recorder = _recorder(trace)
    started = anyio.current_time()
    evaluation = [
        episode
        for episode in range(config.train, config.train + config.episodes)
        if match_id(config, episode) not in skip
    ]
    training = range(config.train)
    if not evaluation and all(match_id(config, e) in skip for e in training):
        training = range(0)
    async with series_llm(config, llm, recorder) as shared:
        series = _Series(config, spec, shared, recorder)
        records = await _play(series, training, evaluation, log, on_match, skip=skip)
    return records, summarize_series(config, records, anyio.current_time() - started)


async def play_match(
    config: PlayConfig,
    episode: int,
    *,
    phase: Phase = "eval",
    llm: LLM | None = None,
    memories: Mapping[str, Memory] | None = None,
    log: EventSink | None = None,
    trace: EventSink | EventRecorder | None = None,
    name: str | None = None,
) -> MatchRecord:
    """Match ``episode`` of the series ``config``, by itself: the players,
    seating and seeds it has in the series, built by
    :func:`~rafa_async.app.make_player` as the series builds them.

    ``memories``: each LLM player's memory, by its declared seat (default:
    new ones); a ``"train"`` match adds what it learns to them, an
    ``"eval"`` match plays from copies.  ``llm``, ``log`` and ``trace`` as
    for :func:`play_series`.  ``name``: the match's id (default
    :func:`match_id`), for a host running many matches of one config at once
    (``rafa serve``): the id names its events and its seats' LLM call scopes
    (``NAME:SEAT``).  A provider error is in the record (status ``"error"``,
    its message in ``error``), not raised.  Cancellable.
    """
    spec = config.validate()
    recorder = _recorder(trace)
    async with series_llm(config, llm, recorder) as shared:
        series = _Series(config, spec, shared, recorder, memories)
        record, _ = await _play_one(series, episode, phase, log, name=name)
    return record


async def _play(
    series: _Series,
    training: Sequence[int],
    evaluation: Sequence[int],
    log: EventSink | None,
    on_match: Callable[[MatchRecord], None] | None,
    *,
    skip: Collection[str] = (),
) -> list[MatchRecord]:
    """The ``training`` matches one after another, then the ``evaluation``
    matches concurrently; their records in episode order.  A match in
    ``skip`` is played (a training match builds memory) but neither logged
    nor recorded."""
    records: list[MatchRecord] = []

    async def run(episode: int, phase: Phase) -> None:
        kept = match_id(series.config, episode) not in skip
        record, stopped = await _play_one(series, episode, phase, log if kept else None)
        if kept:
            records.append(record)
            if on_match is not None:
                on_match(record)
        if stopped is not None:
            raise stopped

    async def evaluate(episode: int) -> None:
        await run(episode, "eval")

    for episode in training:
        await run(episode, "train")
    await for_each_limited(evaluation, series.config.concurrency, evaluate)
    records.sort(key=lambda r: _episode_number(r.match))
    return records


def match_id(config: PlayConfig, episode: int) -> str:
    """The id of match ``episode`` of the series (in logs and records)."""
    return f"{config.game}-{episode}"


def seating(config: PlayConfig, episode: int) -> dict[str, str]:
    """Seat -> the player (named by its declared seat) who sits there in match
    ``episode``: the declared seats, or with ``rotate`` shifted by one seat a
    match."""
    declared = list(config.seats)
    if not config.rotate:
        return {seat: seat for seat in declared}
    n = len(declared)
    return {seat: declared[(i - episode) % n] for i, seat in enumerate(declared)}


async def _play_one(
    series: _Series, episode: int, phase: Phase, log: EventSink | None, *, name: str | None = None
) -> tuple[MatchRecord, ProviderUnavailable | None]:
    """One match's record, and the error that stopped it, if one did."""
    config, spec = series.config, series.spec
    this_match = name if name is not None else match_id(config, episode)
    players = series.players(episode, phase)
    events: list[Event] = []
    sink = _Tee(events, log)
    meta = {"episode": str(episode), "phase": phase, "config": msgspec.json.encode(config).decode()}
    started = anyio.current_time()
    stopped: ProviderUnavailable | None = None
    with episode_scope(this_match) as scope:
        try:
            async with open_match(
                spec.make(),
                players,
                seed=config.seed,
                match_id=this_match,
                recorder=EventRecorder(sink),
                move_timeout=config.move_timeout,
                meta=meta,
            ) as match:
                result = await match.run()
                await _settle(players.values())
        except* ProviderUnavailable as group:
            stopped = first_leaf(group)
    stats = [s for p in players.values() if isinstance(s := getattr(p, "stats", None), PlayerStats)]
    seated = seating(config, episode)
    llm_seats = [seat for seat, who in seated.items() if uses_llm(config.seats[who])]
    seat_calls = {seat: match.seats[seat].calls for seat in llm_seats}
    error = match_error(seat_calls, stopped)
    if stopped is not None:  # the match did not end: what it got to
        scores: dict[str, float] = {}
        turns, late, rejected = match.turn, dict(match.late), dict(match.rejected)
    else:
        scores, turns, late, rejected = result.scores, result.turns, result.late, result.rejected
    record = MatchRecord(
        game=config.game,
        match=this_match,
        phase=phase,
        status="done" if error is None else "error",
        error=error,
        seats={seat: config.seats[who] for seat, who in seated.items()},
        seating=seated,
        scores=scores,
        turns=turns,
        late=late,
        rejected=rejected,
        llm_calls=scope.calls.started,
        plans=sum(s.plans for s in stats),
        plans_cancelled=sum(s.cancelled for s in stats),
        speculation_hits=sum(s.hits for s in stats),
        speculation_misses=sum(s.misses for s in stats),
        digest=log_digest(events),
        wall_s=round(anyio.current_time() - started, 4),
        simulated=config.provider == "sim" or scope.calls.simulated > 0,
        cost_usd={seat: calls.cost for seat, calls in seat_calls.items()},
    )
    return record, stopped


async def _settle(players: Iterable[Player]) -> None:
    """Let each player that learns from the match's last move (it has a
    ``settled()``, e.g. :class:`~rafa_async.agents.SearchToEndPlayer`) finish
    before the match block cancels the players."""
    for player in players:
        settled = getattr(player, "settled", None)
        if settled is not None:
            await settled()


def match_error(
    seat_calls: dict[str, CallCounts], stopped: ProviderUnavailable | None
) -> str | None:
    """Why a match's status is ``"error"`` (see :class:`MatchRecord`), or ``None``."""
    if stopped is not None:
        return str(stopped)
    for seat, calls in seat_calls.items():
        if calls.none_answered:
            return (
                f"seat {seat}: no LLM call was answered (its moves were fallbacks); "
                f"the last failed with {calls.last_error}"
            )
    return None


class _Tee:
    def __init__(self, events: list[Event], log: EventSink | None) -> None:
        self.events = events
        self.log = log

    def emit(self, event: Event) -> None:
        self.events.append(event)
        if self.log is not None:
            self.log.emit(event)


def summarize_series(
    config: PlayConfig, records: Sequence[MatchRecord], wall: float
) -> SeriesSummary:
    """The series' :class:`SeriesSummary`; the seats' results come from the
    evaluation matches alone (training matches are practice, not results),
    leaving out matches a provider error spoilt."""
    played = [r for r in records if r.status != "error"]
    evaluation = [r for r in played if r.phase == "eval"]
    seats = []
    for who, kind in config.seats.items():
        # Where this player sat in each match (its declared seat, unless rotating).
        where = [_seat_of(r, who) for r in evaluation]
        scores = [r.scores[seat] for r, seat in zip(evaluation, where, strict=True)]
        seats.append(
            SeatSummary(
                seat="/".join(dict.fromkeys(where)) if config.rotate else who,
                kind=kind,
                wins=sum(s == 1.0 for s in scores),
                draws=sum(s == 0.5 for s in scores),
                losses=sum(s == 0.0 for s in scores),
                mean_score=sum(scores) / len(scores) if scores else None,
                cost_usd=total_cost(r.cost_usd.get(_seat_of(r, who), 0.0) for r in records),
            )
        )
    hits = sum(r.speculation_hits for r in records)
    tried = hits + sum(r.speculation_misses for r in records)
    return SeriesSummary(
        game=config.game,
        simulated=config.provider == "sim" or any(r.simulated for r in records),
        evaluation_matches=len(evaluation),
        training_matches=sum(r.phase == "train" for r in played),
        seats=seats,
        errors=len(records) - len(played),
        llm_calls=sum(r.llm_calls for r in records),
        plans=sum(r.plans for r in records),
        plans_cancelled=sum(r.plans_cancelled for r in records),
        speculation_hit_rate=hits / tried if tried else None,
        wall_s=round(wall, 3),
    )


def _seat_of(record: MatchRecord, who: str) -> str:
    return next((seat for seat, sitting in record.seating.items() if sitting == who), who)


def _episode_number(match_id: str) -> int:
    tail = match_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0
