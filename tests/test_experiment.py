"""run_benchmark: records, determinism across backends, concurrency, accounting."""

from __future__ import annotations

from typing import Any

import anyio
import msgspec
import pytest

from rafa_async import (
    ConfigError,
    EpisodeEnded,
    EpisodeStarted,
    Event,
    EventRecorder,
    ListSink,
    LLMCallEnded,
    LLMCallStarted,
    ProviderUnavailable,
)
from rafa_async.app import BenchmarkConfig, run_benchmark
from rafa_async.llm import (
    LLM,
    ChatRequest,
    ChatResponse,
    FaultModel,
    LatencyModel,
    MiddlewareStack,
    NoiseModel,
    SimLLM,
)
from rafa_async.scenarios.game24 import Game24Oracle, Game24Record, evaluate_expression, puzzles
from rafa_async.testing import backend_options

NOISY = NoiseModel(
    proposal_quality=0.5,
    preference_sharpness=1.0,
    wrong_belief_rate=0.1,
    value_noise=0.2,
    arithmetic_error_rate=0.05,
    malformed_rate=0.05,
    reflection_quality=0.5,
)
RECORD_FIELDS = {
    "scenario",
    "agent",
    "rank",
    "numbers",
    "solved",
    "status",
    "error",
    "expression",
    "env_steps",
    "llm_calls",
    "failed_calls",
    "tokens",
    "wall_s",
    "simulated",
    "cost_usd",
    "step_calls",
    "step_accepted",
}


RECORD = Game24Record(
    scenario="game24",
    agent="rafa",
    rank=901,
    numbers=[4, 9, 10, 13],
    solved=True,
    expression="(10 - 4) * (13 - 9) = 24",
    env_steps=3,
    llm_calls=40,
    failed_calls=0,
    tokens=9000,
    wall_s=1.0,
    simulated=True,
)


def config(**overrides: Any) -> BenchmarkConfig:
    settings: dict[str, Any] = {
        "tasks": "901-903",
        "n_generate": 4,
        "n_evaluate": 2,
        "noise": NOISY,
        "latency": LatencyModel.fixed(1.0),
    }
    settings.update(overrides)
    return BenchmarkConfig(**settings)


class CountingLLM:
    def __init__(self, inner: LLM) -> None:
        self.inner = inner
        self.calls = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.calls += 1
        return await self.inner.complete(request)


class SlowFirstTasks:
    """Answers about the first task slowest, so episodes end in reverse task order."""

    def __init__(self, inner: LLM, delays: dict[str, float]) -> None:
        self.inner = inner
        self.delays = delays

    async def complete(self, request: ChatRequest) -> ChatResponse:
        state = request.intent.state if request.intent is not None else ""
        await anyio.sleep(self.delays.get(state, 0.0))
        return await self.inner.complete(request)


class EpisodesInFlight:
    """A sink tracking how many episodes have started but not ended."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    def emit(self, event: Event) -> None:
        if isinstance(event, EpisodeStarted):
            self.now += 1
            self.peak = max(self.peak, self.now)
        elif isinstance(event, EpisodeEnded):
            self.now -= 1


def sim(noise: NoiseModel = NOISY) -> SimLLM:
    return SimLLM({"game24": Game24Oracle()}, seed=0, noise=noise, latency=LatencyModel(scale=0))


def assert_calls_paired(events: list[Event]) -> None:
    started = [e.call for e in events if isinstance(e, LLMCallStarted)]
    ended = [e.call for e in events if isinstance(e, LLMCallEnded)]
    assert started
    assert sorted(started) == sorted(ended)
    assert len(set(ended)) == len(ended)


@pytest.mark.anyio
async def test_records_come_in_task_order_whatever_order_episodes_end(
    anyio_backend: Any,
) -> None:
    tasks = puzzles("901-904")
    delays = {" ".join(map(str, sorted(t.numbers))): 10.0 - i for i, t in enumerate(tasks)}
    finished: list[int] = []

    records, _ = await run_benchmark(
        config(agent="direct", tasks="901-904", concurrency=4),
        llm=SlowFirstTasks(sim(), delays),
        on_result=lambda record: finished.append(record.rank),
    )

    assert finished == [904, 903, 902, 901]
    assert [r.rank for r in records] == [901, 902, 903, 904]


@pytest.mark.anyio
async def test_records_have_the_required_fields(anyio_backend: Any) -> None:
    records, _ = await run_benchmark(config())

    assert len(records) == 3
    for record, task in zip(records, puzzles("901-903"), strict=True):
        assert set(msgspec.structs.asdict(record)) == RECORD_FIELDS
        assert (record.scenario, record.agent, record.simulated) == ("game24", "rafa", True)
        assert record.numbers == list(task.numbers)
        assert 1 <= record.env_steps <= 20
        assert record.llm_calls > 0
        assert record.step_calls is not None and record.step_accepted is not None
        assert len(record.step_calls) == len(record.step_accepted) == record.env_steps
        assert record.step_calls == sorted(record.step_calls)
        assert 0 < record.step_calls[-1] <= record.llm_calls
        assert record.step_accepted[-1] == record.solved
        assert record.tokens > 0
        assert record.wall_s > 0
        assert (record.expression is not None) == record.solved


@pytest.mark.anyio
async def test_solved_record_carries_a_checked_expression(anyio_backend: Any) -> None:
    records, summary = await run_benchmark(config(noise=NoiseModel.perfect()))

    assert all(r.solved for r in records)
    assert summary.solved == summary.episodes == 3
    assert summary.success_rate == 1.0
    for record in records:
        assert record.expression is not None
        value, used = evaluate_expression(record.expression)
        assert value == 24
        assert sorted(used) == sorted(record.numbers)


@pytest.mark.parametrize("agent", ["rafa", "tot", "reflexion", "direct"])
def test_same_config_gives_the_same_records_on_trio_and_asyncio(agent: str) -> None:
    cfg = config(agent=agent, tasks="901-904", concurrency=2, latency=LatencyModel())

    def run_on(backend: str) -> list[Game24Record]:
        async def main() -> list[Game24Record]:
            records, _ = await run_benchmark(cfg)
            return records

        records = anyio.run(main, backend=backend, backend_options=backend_options(backend))
        return [msgspec.structs.replace(r, wall_s=0.0) for r in records]

    on_trio, on_asyncio = run_on("trio"), run_on("asyncio")

    assert len(on_trio) == 4
    assert on_trio == on_asyncio


@pytest.mark.anyio
async def test_concurrency_bounds_episodes_in_flight(anyio_backend: Any) -> None:
    sink = EpisodesInFlight()

    await run_benchmark(config(tasks="901-905", concurrency=2), recorder=EventRecorder(sink))

    assert sink.peak == 2
    assert sink.now == 0


@pytest.mark.anyio
async def test_episodes_run_concurrently_in_virtual_time(anyio_backend: Any) -> None:
    serial_records, serial = await run_benchmark(config(tasks="901-904", concurrency=1))
    records, concurrent = await run_benchmark(config(tasks="901-904", concurrency=4))

    assert serial.wall_s == pytest.approx(sum(r.wall_s for r in serial_records), abs=0.01)
    assert concurrent.wall_s == pytest.approx(max(r.wall_s for r in records), abs=0.01)
    assert concurrent.wall_s < serial.wall_s


@pytest.mark.anyio
async def test_record_call_counts_sum_to_the_calls_made(anyio_backend: Any) -> None:
    provider = CountingLLM(sim())
    sink = ListSink()

    records, summary = await run_benchmark(
        config(tasks="901-904"), llm=provider, recorder=EventRecorder(sink)
    )

    assert sum(r.llm_calls for r in records) == provider.calls
    assert summary.llm_calls == provider.calls
    assert len(sink.of_type(LLMCallStarted)) == provider.calls
    per_episode = {f"game24-{r.rank}": r.llm_calls for r in records}
    for episode, calls in per_episode.items():
        assert sum(1 for e in sink.of_type(LLMCallStarted) if e.episode == episode) == calls


def down_sim() -> SimLLM:
    """A sim whose every call fails with HTTP 500."""
    return SimLLM(
        {"game24": Game24Oracle()},
        seed=0,
        noise=NOISY,
        latency=LatencyModel(scale=0),
        faults=FaultModel(server_error_rate=1.0),
    )


@pytest.mark.anyio
async def test_a_provider_failing_every_call_stops_the_run_with_an_error_record(
    anyio_backend: Any,
) -> None:
    seen: list[Game24Record] = []

    with pytest.raises(ProviderUnavailable, match="10 LLM calls in a row failed") as caught:
        await run_benchmark(
            config(tasks="901-903", concurrency=1), llm=down_sim(), on_result=seen.append
        )

    (record,) = seen  # the task it stopped; the others never started
    assert (record.rank, record.solved, record.status) == (901, False, "error")
    assert record.error == str(caught.value)
    assert record.failed_calls > 0


@pytest.mark.anyio
async def test_without_the_breaker_tasks_no_call_was_answered_for_are_errors(
    anyio_backend: Any,
) -> None:
    stack = MiddlewareStack(down_sim(), max_consecutive_failures=0)
    sink = ListSink()

    records, summary = await run_benchmark(
        config(tasks="901-902"), llm=stack, recorder=EventRecorder(sink)
    )

    for record in records:
        assert (record.solved, record.status, record.env_steps) == (False, "error", 0)
        assert record.error is not None
        assert record.error.startswith(
            "no LLM call was answered; the last failed with ProviderError"
        )
        assert record.llm_calls > 0
        assert record.failed_calls == record.llm_calls
    assert (summary.solved, summary.errors, summary.success_rate) == (0, 2, 0.0)
    assert summary.failed_calls == sum(r.failed_calls for r in records)
    ended = sink.of_type(EpisodeEnded)
    assert [e.error for e in ended] == [r.error for r in records]


@pytest.mark.anyio
async def test_records_say_solved_or_unsolved_when_the_model_answered(anyio_backend: Any) -> None:
    rafa, rafa_summary = await run_benchmark(config())
    direct, direct_summary = await run_benchmark(config(agent="direct"))

    records = rafa + direct
    assert {r.status for r in records} == {"solved", "unsolved"}
    for record in records:
        assert record.status == ("solved" if record.solved else "unsolved")
        assert record.error is None
    assert rafa_summary.errors == direct_summary.errors == 0


def test_a_record_written_before_status_existed_derives_it_from_solved() -> None:
    line = msgspec.json.encode(
        {k: v for k, v in msgspec.structs.asdict(RECORD).items() if k not in ("status", "error")}
    )
    old = msgspec.json.decode(line, type=Game24Record)
    assert (old.solved, old.status, old.error) == (True, "solved", None)
    unsolved = msgspec.json.decode(
        line.replace(b'"solved":true', b'"solved":false'), type=Game24Record
    )
    assert unsolved.status == "unsolved"


@pytest.mark.anyio
async def test_every_traced_call_start_has_one_end(anyio_backend: Any) -> None:
    sink = ListSink()

    await run_benchmark(config(), recorder=EventRecorder(sink))

    assert_calls_paired(sink.events)
    assert {e.outcome for e in sink.of_type(LLMCallEnded)} == {"ok"}


@pytest.mark.anyio
async def test_cancelled_experiment_ends_every_traced_call(anyio_backend: Any) -> None:
    sink = ListSink()

    with anyio.move_on_after(2.5) as scope:
        await run_benchmark(config(), recorder=EventRecorder(sink))

    assert scope.cancelled_caught
    assert_calls_paired(sink.events)
    assert "cancelled" in {e.outcome for e in sink.of_type(LLMCallEnded)}
    assert sink.of_type(EpisodeEnded) == []


@pytest.mark.anyio
async def test_every_episode_start_has_one_end(anyio_backend: Any) -> None:
    sink = ListSink()

    records, _ = await run_benchmark(config(agent="reflexion"), recorder=EventRecorder(sink))

    started = [e.episode for e in sink.of_type(EpisodeStarted)]
    ended = sink.of_type(EpisodeEnded)
    assert (
        sorted(started)
        == sorted(e.episode for e in ended)
        == ["game24-901", "game24-902", "game24-903"]
    )
    by_episode = {e.episode: e for e in ended}
    for record in records:
        event = by_episode[f"game24-{record.rank}"]
        assert (event.solved, event.env_steps, event.llm_calls) == (
            record.solved,
            record.env_steps,
            record.llm_calls,
        )


@pytest.mark.anyio
async def test_max_steps_caps_every_episode(anyio_backend: Any) -> None:
    records, _ = await run_benchmark(config(agent="reflexion", max_steps=2))

    assert all(r.env_steps <= 2 for r in records)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"scenario": "chess"}, "unknown scenario 'chess'"),
        ({"agent": "alphago"}, "unknown agent 'alphago'"),
        ({"beam": 0}, "^beam must be >= 1"),
        ({"n_generate": 0}, "^n_generate must be >= 1"),
        ({"concurrency": 0}, "^concurrency must be >= 1"),
        ({"max_steps": 0}, "^max_steps must be >= 1"),
    ],
)
def test_invalid_config_is_rejected_naming_the_setting(
    overrides: dict[str, Any], message: str
) -> None:
    """Messages name the config's fields (a program has no --beam), and list
    them in ``fields`` for a front end that calls them otherwise."""
    with pytest.raises(ConfigError, match=message) as caught:
        config(**overrides).validate()
    assert "--" not in str(caught.value)
    assert set(caught.value.fields) <= set(type(config()).__struct_fields__)


@pytest.mark.anyio
async def test_bad_task_range_is_a_config_error(anyio_backend: Any) -> None:
    with pytest.raises(ConfigError, match="bad puzzle range"):
        await run_benchmark(config(tasks="0-5"))


@pytest.mark.anyio
async def test_a_real_provider_must_be_passed_in_not_named(anyio_backend: Any) -> None:
    with pytest.raises(
        ConfigError, match="provider 'openai:gpt-4o-mini' is not the in-process sim: open it"
    ):
        await run_benchmark(config(provider="openai:gpt-4o-mini"))
