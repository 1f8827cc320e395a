"""What every registered benchmark (``rafa run``) must do, checked for each one.

Each test runs once per entry of ``SCENARIOS``: its tasks, its environment,
its world model against its own sim oracle, and an episode of every agent
becoming the benchmark's record.  A toy benchmark at the end shows the
runner needs nothing else: registered, it runs.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import msgspec
import pytest
from scenario_support import PERFECT, ask, context

from rafa_async import ConfigError, EventRecorder, MalformedResponse, Outcome, ProviderError
from rafa_async.app import AGENT_KINDS, BenchmarkConfig, run_benchmark, run_task
from rafa_async.llm import (
    ChatRequest,
    Intent,
    IntentKind,
    LatencyModel,
    Message,
    MiddlewareStack,
    SimContext,
)
from rafa_async.scenarios import SCENARIOS, Benchmark, TaskRecord, simulated_llm

NAMES = sorted(SCENARIOS)


@pytest.fixture(params=NAMES)
def bench(request: pytest.FixtureRequest) -> Benchmark[Any, Any]:
    return SCENARIOS[request.param]


def first_task(bench: Benchmark[Any, Any]) -> Any:
    return bench.tasks(bench.default_tasks)[0]


def test_the_registry_names_each_benchmark_by_its_own_name() -> None:
    assert {name: b.name for name, b in SCENARIOS.items()} == {name: name for name in NAMES}


def test_the_default_tasks_are_distinct_and_described(bench: Benchmark[Any, Any]) -> None:
    tasks = bench.tasks(bench.default_tasks)

    assert tasks
    assert len({t.id for t in tasks}) == len(tasks)
    assert all(t.text for t in tasks)
    assert bench.description and bench.max_steps >= 1


def test_an_unreadable_task_spec_is_a_config_error(bench: Benchmark[Any, Any]) -> None:
    with pytest.raises(ConfigError):
        bench.tasks("no such tasks")


def test_the_environment_rejects_nonsense_and_stays_where_it_was(
    bench: Benchmark[Any, Any],
) -> None:
    env = bench.make_env(first_task(bench))
    start = env.reset()

    outcome = env.step(start, "nonsense")

    assert (outcome.accepted, outcome.state, outcome.done, outcome.reward) == (
        False,
        start,
        False,
        0.0,
    )
    assert outcome.feedback
    assert env.reset() == start
    assert isinstance(env.render(start), str)
    assert env.answer(start) is None


def test_each_request_carries_the_benchmark_the_state_the_memory_and_the_sample(
    bench: Benchmark[Any, Any],
) -> None:
    world = bench.world()
    state = bench.make_env(first_task(bench)).reset()
    memory = ["an earlier attempt failed"]

    requests = [
        world.propose_request(state, memory, 3),
        world.evaluate_request(state, memory, 3),
        world.solve_request(state, memory, 3),
    ]

    for request in requests:
        assert request.intent is not None
        assert (request.intent.scenario, request.intent.state) == (bench.name, world.key(state))
        assert (request.intent.memory, request.intent.sample) == (tuple(memory), 3)
        assert memory[0] in request.messages[-1].content


def test_a_perfect_sims_answers_parse_and_its_solution_solves(bench: Benchmark[Any, Any]) -> None:
    oracle, world = bench.oracle(), bench.world()
    env = bench.make_env(first_task(bench))
    state = env.reset()

    proposal = world.parse_proposal(state, ask(oracle, world.propose_request(state, (), 0)))
    value = world.parse_value(ask(oracle, world.evaluate_request(proposal.predicted, (), 0)))
    solution = world.parse_solution(ask(oracle, world.solve_request(state, (), 0)))
    outcome = env.step(state, solution)
    reflection = ask(oracle, world.reflect_request(state, solution, outcome.feedback, 0))

    assert env.step(state, proposal.action).accepted
    assert world.key(proposal.predicted) != world.key(state)
    assert isinstance(value, float)
    assert (outcome.accepted, outcome.done, outcome.reward) == (True, True, 1.0)
    assert env.answer(outcome.state) is not None
    assert world.parse_reflection(reflection)


@pytest.mark.parametrize("kind", ["propose", "evaluate", "solve"])
def test_parsers_refuse_garbled_answers_as_malformed(bench: Benchmark[Any, Any], kind: str) -> None:
    oracle, world = bench.oracle(), bench.world()
    state = bench.make_env(first_task(bench)).reset()
    request, parse = {
        "propose": (world.propose_request, lambda t: world.parse_proposal(state, t)),
        "evaluate": (world.evaluate_request, world.parse_value),
        "solve": (world.solve_request, world.parse_solution),
    }[kind]
    answer = ask(oracle, request(state, (), 0))
    parse(answer)

    refused = 0
    for seed in range(12):
        try:  # a garbled answer may still say enough; else it is malformed, nothing worse
            parse(oracle.garble(answer, random.Random(seed)))
        except MalformedResponse:
            refused += 1
    assert refused


def test_an_intent_the_oracle_does_not_answer_is_a_provider_error(
    bench: Benchmark[Any, Any],
) -> None:
    state = bench.world().key(bench.make_env(first_task(bench)).reset())

    # No world model asks "recall"; each oracle answers only the kinds its own asks.
    with pytest.raises(ProviderError, match="does not answer 'recall'"):
        bench.oracle().respond(context("recall", bench.name, state))


def budget(agent: str) -> float | None:
    """A call budget for the agents that need one (``tot-matched``)."""
    return 50.0 if AGENT_KINDS[agent].needs_call_budget else None


@pytest.mark.anyio
@pytest.mark.parametrize("agent", AGENT_KINDS)
async def test_every_agent_s_episode_becomes_the_benchmarks_record(
    anyio_backend: Any, bench: Benchmark[Any, Any], agent: Any
) -> None:
    task = first_task(bench)
    config = BenchmarkConfig(
        scenario=bench.name,
        agent=agent,
        call_budget=budget(agent),
        latency=LatencyModel(scale=0.0),
    )
    llm = MiddlewareStack(simulated_llm(noise=PERFECT, latency=config.latency))

    record, stopped = await run_task(config, llm, task, EventRecorder())

    assert stopped is None
    assert type(record) is bench.record_type and issubclass(bench.record_type, TaskRecord)
    assert (record.scenario, record.task_id, record.agent) == (bench.name, task.id, agent)
    assert record.status == ("solved" if record.solved else "unsolved")
    assert 1 <= record.env_steps <= bench.max_steps and record.llm_calls >= 1
    assert record.simulated and record.cost_usd == 0.0
    line = msgspec.json.encode(record)
    assert msgspec.json.decode(line, type=bench.record_type) == record
    assert msgspec.convert(msgspec.json.decode(line), bench.record_type).task_id == task.id
    old = {k: v for k, v in msgspec.json.decode(line).items() if k not in ("status", "error")}
    assert msgspec.convert(old, bench.record_type).status == record.status


# -- a toy benchmark: say the word -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    word: str

    @property
    def id(self) -> str:
        return self.word

    @property
    def text(self) -> str:
        return self.word


class Said(NamedTuple):
    word: str
    said: bool = False


@dataclass(frozen=True, slots=True)
class Guess:
    action: str
    predicted: Said


class EchoEnv:
    name = "echo"

    def __init__(self, word: str) -> None:
        self.word = word

    def reset(self) -> Said:
        return Said(self.word)

    def step(self, state: Said, action: str) -> Outcome[Said]:
        if action != state.word:
            return Outcome(state, False, f"{action!r} is not the word")
        return Outcome(Said(state.word, True), True, "said", reward=1.0, done=True)

    def render(self, state: Said) -> str:
        return f"{state.word}{'!' if state.said else ''}"

    def answer(self, state: Said) -> str | None:
        return state.word if state.said else None


class EchoWorld:
    def _ask(self, kind: IntentKind, state: Said, memory: Sequence[str], k: int) -> ChatRequest:
        memory = tuple(memory)
        intent = Intent(kind=kind, scenario="echo", state=state.word, memory=memory, sample=k)
        return ChatRequest(messages=(Message("user", "Say the word."),), intent=intent)

    def key(self, state: Said) -> str:
        return f"{state.word}{'!' if state.said else ''}"

    def is_terminal(self, state: Said) -> bool:
        return state.said

    def propose_request(self, state: Said, memory: Sequence[str], sample: int) -> ChatRequest:
        return self._ask("propose", state, memory, sample)

    def parse_proposal(self, state: Said, text: str) -> Guess:
        return Guess(text, Said(state.word, text == state.word))

    def evaluate_request(self, state: Said, memory: Sequence[str], sample: int) -> ChatRequest:
        return self._ask("evaluate", state, memory, sample)

    def parse_value(self, text: str) -> float:
        return float(text)

    def solve_request(self, state: Said, memory: Sequence[str], sample: int) -> ChatRequest:
        return self._ask("solve", state, memory, sample)

    def parse_solution(self, text: str) -> str:
        return text

    def reflect_request(self, state: Said, attempt: str, feedback: str, sample: int) -> ChatRequest:
        return self._ask("reflect", state, (feedback,), sample)

    def parse_reflection(self, text: str) -> str:
        return text


class EchoOracle:
    def respond(self, ctx: SimContext) -> str:
        return "1" if ctx.intent.kind == "evaluate" else ctx.intent.state

    def garble(self, text: str, rng: random.Random) -> str:
        return ""


class EchoRecord(TaskRecord, kw_only=True):
    word: str

    @property
    def task_id(self) -> str:
        return self.word


class EchoBenchmark(Benchmark[Word, Said]):
    name = "echo"
    description = "Say the word"
    default_tasks = "hello,world"
    max_steps = 2
    record_type = EchoRecord

    def tasks(self, spec: str) -> list[Word]:
        return [Word(w) for w in spec.split(",")]

    def make_env(self, task: Word) -> EchoEnv:
        return EchoEnv(task.word)

    def world(self, *, model: str = "default") -> EchoWorld:
        return EchoWorld()

    def oracle(self) -> EchoOracle:
        return EchoOracle()

    def record(self, task: Word, result: TaskRecord, answer: str | None) -> EchoRecord:
        return EchoRecord(**msgspec.structs.asdict(result), word=task.word)


@pytest.mark.anyio
@pytest.mark.parametrize("agent", AGENT_KINDS)
async def test_a_registered_toy_benchmark_runs_with_every_agent(
    anyio_backend: Any, monkeypatch: pytest.MonkeyPatch, agent: Any
) -> None:
    monkeypatch.setitem(SCENARIOS, "echo", EchoBenchmark())
    config = BenchmarkConfig(
        scenario="echo", agent=agent, tasks="hello,world", n_generate=1, call_budget=budget(agent)
    )

    records, summary = await run_benchmark(config)

    assert [(type(r), r.task_id, r.solved) for r in records] == [
        (EchoRecord, "hello", True),
        (EchoRecord, "world", True),
    ]
    assert (summary.scenario, summary.solved) == ("echo", 2)
