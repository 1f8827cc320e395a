"""Playing one planned match: players from the participants' seat configs.

:func:`play_planned` builds each seat's player with
:func:`~rafa_async.app.make_player` (the kind and planner parameters of the
participant sitting there, its provider's shared LLM stack, a fresh memory:
matches are independent of one another and of their order), runs the match
under the participant's move timeouts, and returns a
:class:`~rafa_async.tournament.MatchOutcome`: result, moves, and per seat the
LLM calls, tokens, cost and decision times, with every call's timing.

The match's calls are sampled with its seed (:func:`~rafa_async.sampling_seed`),
so two matches that reach the same position are sampled independently, and
a match replays the same on any executor, in any order.

:class:`LocalExecutor` plays matches in this process, sharing one
:class:`~rafa_async.llm.MiddlewareStack` per provider among all of them: the
tournament's LLM limits are global.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from types import TracebackType
from typing import Any, Protocol

import anyio

from rafa_async._concurrency import first_leaf
from rafa_async._context import episode_scope, sampling_seed
from rafa_async._errors import ProviderUnavailable
from rafa_async._events import (
    Event,
    EventRecorder,
    LLMCallEnded,
    LLMCallStarted,
    MatchTransition,
    TurnStarted,
    log_digest,
)
from rafa_async._match import Player, open_match
from rafa_async.agents import Memory
from rafa_async.app import SeatContext, make_player, match_error, open_llm
from rafa_async.llm import LLM, MiddlewareStack
from rafa_async.scenarios import get_game, simulated_llm
from rafa_async.tournament._config import TournamentConfig
from rafa_async.tournament._outcome import CallOutcome, MatchOutcome, SeatOutcome
from rafa_async.tournament._plan import PlannedMatch


class Executor(Protocol):
    """Plays planned matches; entered once around a tournament's run."""

    async def __aenter__(self) -> Executor: ...

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def play(self, planned: PlannedMatch) -> MatchOutcome:
        """Play ``planned`` to its end; a provider failure is in the outcome
        (status ``failed``), not raised.  Cancellable."""
        ...


class _Calls:
    """One match's calls: when each started (event-loop clock) and how it ended."""

    def __init__(self) -> None:
        self.started: dict[tuple[str, int], float] = {}
        self.ended: list[tuple[float, LLMCallEnded]] = []


class CallRouter:
    """The trace sink of the shared stacks: hands each match the calls of its
    own seats (a call's ``episode`` is ``MATCH_ID:SEAT``, its seat's scope).

    A call is timed by its two events' stamps, both on the event loop's
    clock (the match's clock too, virtual in tests): its start is its
    :class:`~rafa_async.LLMCallStarted`'s, its end its
    :class:`~rafa_async.LLMCallEnded`'s -- a failed or cancelled call
    included, whose own ``latency`` field is 0."""

    def __init__(self) -> None:
        self._matches: dict[str, _Calls] = {}

    def emit(self, event: Event) -> None:
        if isinstance(event, LLMCallStarted | LLMCallEnded):
            match, _, _ = event.episode.rpartition(":")
            calls = self._matches.get(match)
            if calls is None:
                return
            if isinstance(event, LLMCallStarted):
                calls.started[event.episode, event.call] = event.ts
            else:
                start = calls.started.pop((event.episode, event.call), event.ts - event.latency)
                calls.ended.append((start, event))

    @contextmanager
    def collect(self, match_id: str) -> Iterator[_Calls]:
        calls = _Calls()
        self._matches[match_id] = calls
        try:
            yield calls
        finally:
            del self._matches[match_id]


class _Host:
    """The match's host events: moves (for the record) and the log digest."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.moves: list[dict[str, str]] = []
        self.turn_starts: list[float] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)
        if isinstance(event, MatchTransition):
            self.moves.append(dict(event.actions))
        elif isinstance(event, TurnStarted):
            self.turn_starts.append(event.ts)


async def play_planned(
    config: TournamentConfig,
    planned: PlannedMatch,
    llms: Mapping[str, LLM],
    router: CallRouter,
) -> MatchOutcome:
    """Play ``planned`` with ``llms`` (each LLM participant's provider -> the
    stack its calls go through, traced to ``router``).  Cancellable."""
    spec = get_game(planned.game)
    first_seat, second_seat = spec.seats
    sitting = {first_seat: planned.first, second_seat: planned.second}
    participants = {seat: config.participant(name) for seat, name in sitting.items()}
    any_llm = next(iter(llms.values()), None)
    players: dict[str, Player] = {}
    for seat, p in participants.items():
        llm = llms[p.provider] if p.uses_llm else any_llm
        context = SeatContext(
            llm=llm if llm is not None else _NO_LLM,
            spec=spec,
            world=spec.world(seat),
            seat=seat,
            memory=Memory() if p.uses_llm else None,
            seed=planned.seed,
        )
        players[seat] = make_player(p.kind, p.seat_options, context)
    host = _Host()
    begin = anyio.current_time()
    stopped: ProviderUnavailable | None = None
    with (
        episode_scope(planned.match_id) as scope,
        sampling_seed(planned.seed),
        router.collect(planned.match_id) as traced,
    ):
        try:
            async with open_match(
                spec.make(),
                players,
                seed=planned.seed,
                match_id=planned.match_id,
                recorder=EventRecorder(host),
                move_timeouts={seat: p.move_timeout for seat, p in participants.items()},
                keep_log=False,
            ) as match:
                result = await match.run()
        except* ProviderUnavailable as group:
            stopped = first_leaf(group)
    llm_seats = {seat: match.seats[seat].calls for seat, p in participants.items() if p.uses_llm}
    error = match_error(llm_seats, stopped)
    scores = result.scores if stopped is None else {}
    seats = []
    for seat, p in participants.items():
        calls = match.seats[seat].calls
        seats.append(
            SeatOutcome(
                seat=seat,
                participant=p.name,
                kind=p.kind,
                provider=p.provider if p.uses_llm else "-",
                score=scores.get(seat, 0.0),
                llm_calls=calls.started,
                failed_calls=calls.failed,
                prompt_tokens=calls.prompt_tokens,
                completion_tokens=calls.completion_tokens,
                cost_usd=calls.cost,
                decisions=[round(t, 6) for t in match.decisions[seat]],
                late=match.late.get(seat, 0),
                rejected=match.rejected.get(seat, 0),
            )
        )
    return MatchOutcome(
        match_id=planned.match_id,
        status="finished" if error is None else "failed",
        error=error,
        scores=scores,
        turns=match.turn,
        moves=host.moves,
        digest=log_digest(host.events),
        wall_s=round(anyio.current_time() - begin, 6),
        simulated=scope.calls.started == 0 or scope.calls.simulated > 0,
        seats=seats,
        calls=[
            CallOutcome(
                seat=call.episode.rpartition(":")[2],
                call=call.call,
                intent=call.intent,
                outcome=call.outcome,
                start=round(start - begin, 6),
                latency=round(call.ts - start, 6),
                prompt_tokens=call.prompt_tokens,
                completion_tokens=call.completion_tokens,
            )
            for start, call in traced.ended
        ],
        turn_starts=[round(t - begin, 6) for t in host.turn_starts],
    )


class _NoLLM:
    """What a fixed policy's seat holds when no participant calls an LLM."""

    async def complete(self, request: Any) -> Any:
        raise RuntimeError("a fixed policy does not call the LLM")


_NO_LLM: Any = _NoLLM()


@asynccontextmanager
async def tournament_llms(
    config: TournamentConfig, router: CallRouter
) -> AsyncIterator[dict[str, MiddlewareStack]]:
    """One stack per provider the participants call, with the tournament's
    limits, traced to ``router``; closed on exit."""
    async with AsyncExitStack() as stack:
        llms = {}
        for provider in config.providers:
            llms[provider] = await stack.enter_async_context(
                open_llm(
                    config.limits.options(provider),
                    sim=lambda: simulated_llm(seed=config.seed, latency=config.latency),
                    recorder=EventRecorder(router),
                    seed=config.seed,
                )
            )
        yield llms


class LocalExecutor:
    """Plays matches in this process (the default executor)."""

    def __init__(self, config: TournamentConfig) -> None:
        self.config = config
        self.router = CallRouter()
        self._stack = AsyncExitStack()
        self._llms: dict[str, MiddlewareStack] = {}

    async def __aenter__(self) -> LocalExecutor:
        self._llms = await self._stack.enter_async_context(
            tournament_llms(self.config, self.router)
        )
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self._stack.aclose()

    async def play(self, planned: PlannedMatch) -> MatchOutcome:
        return await play_planned(self.config, planned, self._llms, self.router)
