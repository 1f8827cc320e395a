"""MCTSPlanner: finds optimal plans, degrades gracefully with noise, spreads
concurrent simulations with virtual loss, is repeatable, anytime and cancellable.

The world is a tiny counting puzzle: from 1, reach TARGET in at most DEPTH
steps of +1, +3, *2, *3.  Its fake LLM answers from the prompt alone: the
proposal of sample k is action k (mod 4) with the state it leads to; the
evaluation of a state is 1 + (steps left - steps still needed), 0 if the
target is out of reach -- exact, unless noise is injected (then a seeded
share of the predictions is off by one and of the values random).  Every
call takes CALL_SECONDS of virtual time.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import anyio
import pytest
from support import assert_one_line_error, rafa

from rafa_async import MalformedResponse, ProviderError
from rafa_async.app import AgentOptions, make_agent
from rafa_async.llm import ChatRequest, ChatResponse, Message
from rafa_async.planners import MCTSPlanner, Plan
from rafa_async.scenarios import SCENARIOS

ACTIONS = ("+1", "+3", "*2", "*3")
DEPTH = 4
CALL_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Count:
    n: int
    steps: int = 0
    target: int = 21


@dataclass(frozen=True, slots=True)
class Move:
    action: str
    predicted: Count


def apply(action: str, n: int) -> int:
    amount = int(action[1:])
    return n + amount if action[0] == "+" else n * amount


@cache
def distance(n: int, target: int) -> int | None:
    """Fewest steps from ``n`` to ``target`` (None: never; every action grows n)."""
    if n == target:
        return 0
    if n > target:
        return None
    rest = [d for a in ACTIONS if (d := distance(apply(a, n), target)) is not None]
    return 1 + min(rest) if rest else None


TARGETS = [t for t in range(5, 60) if (d := distance(1, t)) is not None and d <= DEPTH]
"""The targets reachable from 1 in DEPTH steps."""


def true_value(state: Count) -> float:
    need = distance(state.n, state.target)
    left = DEPTH - state.steps
    return 0.0 if need is None or need > left else float(1 + left - need)


def solves(start: Count, actions: list[str]) -> bool:
    n = start.n
    for action in actions:
        n = apply(action, n)
    return n == start.target


class CountingWorld:
    """The puzzle's WorldModel: the state and the sample in the prompt text."""

    def key(self, state: Count) -> str:
        return f"{state.n}@{state.steps}"

    def is_terminal(self, state: Count) -> bool:
        return state.n >= state.target or state.steps >= DEPTH

    def _request(
        self, kind: str, state: Count, memory: tuple[str, ...], sample: int
    ) -> ChatRequest:
        text = f"{kind} {state.n} {state.steps} {state.target} {sample} | {' '.join(memory)}"
        return ChatRequest(messages=(Message("user", text),))

    def propose_request(self, state: Count, memory: Any, sample: int) -> ChatRequest:
        return self._request("propose", state, tuple(memory), sample)

    def parse_proposal(self, state: Count, text: str) -> Move:
        if not text.startswith("move "):
            raise MalformedResponse("not a move", text=text)
        _, action, n = text.split()
        return Move(action, Count(int(n), state.steps + 1, state.target))

    def evaluate_request(self, state: Count, memory: Any, sample: int) -> ChatRequest:
        return self._request("evaluate", state, tuple(memory), sample)

    def parse_value(self, text: str) -> float:
        return float(text)


class CountingLLM:
    """Answers the puzzle's prompts; ``noise`` is the share of wrong answers
    (seeded by the prompt, so the same question gets the same answer)."""

    def __init__(self, noise: float = 0.0, *, latency: random.Random | None = None) -> None:
        self.noise = noise
        self.latency = latency
        self.prompts: list[str] = []
        self.running = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        prompt = request.messages[0].content
        self.prompts.append(prompt)
        self.running += 1
        try:
            delay = CALL_SECONDS if self.latency is None else self.latency.random()
            await anyio.sleep(delay)
        finally:
            self.running -= 1
        return ChatResponse(text=self.answer(prompt), model="counting")

    def answer(self, prompt: str) -> str:
        kind, n, steps, target, sample = prompt.split(" | ")[0].split()
        state = Count(int(n), int(steps), int(target))
        wrong = random.Random(prompt).random() < self.noise
        if kind == "propose":
            action = ACTIONS[int(sample) % len(ACTIONS)]
            return f"move {action} {apply(action, state.n) + (1 if wrong else 0)}"
        if wrong:
            return str(random.Random(prompt + "v").randint(0, DEPTH + 1))
        return str(true_value(state))


def planner(llm: Any, **options: Any) -> MCTSPlanner[Count]:
    settings: dict[str, Any] = dict(simulations=24, concurrency=1, n_generate=4, n_evaluate=1)
    return MCTSPlanner(llm, CountingWorld(), **(settings | options))


def expanded_at_depth_one(llm: CountingLLM) -> set[str]:
    """The depth-1 states whose children were asked for."""
    return {p.split()[1] for p in llm.prompts if p.startswith("propose") and p.split()[2] == "1"}


@pytest.mark.anyio
@pytest.mark.parametrize("concurrency", [1, 4])
async def test_finds_the_shortest_plan_with_a_noise_free_model(
    anyio_backend: Any, concurrency: int
) -> None:
    for target in TARGETS:
        start = Count(1, target=target)
        plan = await planner(CountingLLM(), concurrency=concurrency).plan(start, ())
        assert plan.complete
        assert solves(start, plan.actions), (target, plan.actions)
        assert len(plan.steps) == distance(1, target), (target, plan.actions)


@pytest.mark.anyio
async def test_the_plan_keeps_each_root_line_it_weighed_the_chosen_first(
    anyio_backend: Any,
) -> None:
    start = Count(1, target=TARGETS[-1])
    plan = await planner(CountingLLM()).plan(start, ())

    lines = [list(a.actions) for a in plan.alternatives]
    assert len(lines) > 1
    assert lines[0] == plan.actions
    assert plan.alternatives[0].value == plan.value
    assert len({line[0] for line in lines}) == len(lines)  # one per first move
    for line in lines:  # every line is a legal walk of the tree
        state = start.n
        for action in line:
            state = apply(action, state)


@pytest.mark.anyio
async def test_with_noise_plans_stay_legal_and_success_drops_but_not_to_zero(
    anyio_backend: Any,
) -> None:
    def success(noise: float) -> float:
        return sum(solved[noise]) / len(solved[noise])

    solved: dict[float, list[bool]] = {0.0: [], 0.1: [], 0.3: []}
    for noise in solved:
        for target in TARGETS:
            start = Count(1, target=target)
            plan = await planner(CountingLLM(noise), concurrency=4).plan(start, ())
            assert plan.actions and set(plan.actions) <= set(ACTIONS)
            solved[noise].append(solves(start, plan.actions))

    assert success(0.0) == 1.0
    assert success(0.0) > success(0.1) > success(0.3) > 0


@pytest.mark.anyio
@pytest.mark.parametrize(("virtual_loss", "branches"), [(1.0, 4), (0.0, 1)])
async def test_concurrent_simulations_take_distinct_branches_only_with_virtual_loss(
    anyio_backend: Any, virtual_loss: float, branches: int
) -> None:
    llm = CountingLLM()
    search = planner(llm, simulations=4, concurrency=4, virtual_loss=virtual_loss)

    await search.plan(Count(2), ())  # 2 has 4 distinct children: 3, 5, 4, 6

    # The first 4 simulations run together: with virtual loss each goes down
    # a different child of the root (and expands it); without, all take the best.
    assert len(expanded_at_depth_one(llm)) == branches


@pytest.mark.anyio
async def test_concurrency_shortens_the_search_at_the_same_budget(anyio_backend: Any) -> None:
    times = []
    plans = []
    for concurrency in (1, 4):
        began = anyio.current_time()
        plans.append(await planner(CountingLLM(), concurrency=concurrency).plan(Count(1), ()))
        times.append(anyio.current_time() - began)

    assert plans[0].stats.simulations == plans[1].stats.simulations == 24
    assert times[1] < times[0] / 1.5


@pytest.mark.anyio
async def test_plan_does_not_depend_on_the_order_answers_arrive(anyio_backend: Any) -> None:
    found = []
    for order in (1, 2, 3):
        llm = CountingLLM(0.3, latency=random.Random(order))
        search = planner(llm, concurrency=4, simulations=16)
        found.append([await search.plan(Count(1, target=t), ()) for t in (17, 21, 31)])

    assert found[0] == found[1] == found[2]


@pytest.mark.anyio
async def test_sequential_search_is_exactly_repeatable_and_salt_draws_fresh_samples(
    anyio_backend: Any,
) -> None:
    async def search(salt: int) -> tuple[Plan[Count], list[str]]:
        llm = CountingLLM(0.3)
        plan = await planner(llm).plan(Count(1), ("seen: 2 -> 4",), salt=salt)
        return plan, sorted(llm.prompts)

    first, again, salted = await search(0), await search(0), await search(1)

    assert first == again
    assert salted[1] != first[1]
    assert all(prompt.endswith("| seen: 2 -> 4") for prompt in first[1])


@pytest.mark.anyio
async def test_deadline_returns_the_best_so_far_marked_incomplete(anyio_backend: Any) -> None:
    began = anyio.current_time()

    plan = await planner(CountingLLM(), deadline=3.5 * CALL_SECONDS).plan(Count(1), ())

    assert anyio.current_time() - began == pytest.approx(3.5 * CALL_SECONDS)
    assert not plan.complete
    # The root was expanded and evaluated (2 call times): its best child is known.
    assert plan.actions[:1] == ["+3"]
    assert plan.stats.simulations == 0


@pytest.mark.anyio
async def test_deadline_before_any_expansion_gives_an_empty_incomplete_plan(
    anyio_backend: Any,
) -> None:
    plan = await planner(CountingLLM(), deadline=0.5 * CALL_SECONDS).plan(Count(1), ())

    assert plan.steps == () and not plan.complete


@pytest.mark.anyio
async def test_cancelling_a_plan_ends_every_call_at_once(anyio_backend: Any) -> None:
    llm = CountingLLM()
    began = anyio.current_time()

    with anyio.move_on_after(4.5 * CALL_SECONDS):
        await planner(llm, concurrency=4, n_evaluate=3).plan(Count(1), ())

    assert anyio.current_time() - began == pytest.approx(4.5 * CALL_SECONDS)
    assert llm.running == 0


@pytest.mark.anyio
async def test_llm_budget_stops_starting_simulations(anyio_backend: Any) -> None:
    plan = await planner(CountingLLM(), simulations=100, llm_budget=20).plan(Count(1), ())

    assert plan.complete
    assert plan.stats.simulations < 100
    # Sequential: it stops at the first simulation that finds the budget spent.
    assert 20 <= plan.stats.llm_calls < 20 + DEPTH * (4 + 4)


class FailingEvaluations(CountingLLM):
    refused = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        if request.messages[0].content.startswith("evaluate"):
            self.refused += 1
            await anyio.sleep(CALL_SECONDS)
            raise ProviderError("evaluation refused", status=500)
        return await super().complete(request)


@pytest.mark.anyio
async def test_failed_calls_are_counted_and_a_plan_still_returned(anyio_backend: Any) -> None:
    llm = FailingEvaluations()

    plan = await planner(llm, simulations=4).plan(Count(1), ())

    assert plan.stats.failed_calls == llm.refused > 0
    assert plan.stats.llm_calls == llm.refused + len(llm.prompts)
    assert plan.stats.evaluated == 0
    assert plan.steps


@pytest.mark.parametrize(
    "option",
    [
        {"simulations": 0},
        {"concurrency": 0},
        {"c": -1.0},
        {"virtual_loss": -1.0},
        {"depth": 0},
        {"llm_budget": 0},
    ],
)
def test_bad_settings_are_refused(option: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(option))):
        planner(CountingLLM(), **option)


# -- the CLI -------------------------------------------------------------------

FAST = ["--latency-scale", "0", "--no-progress", "--mcts-simulations", "8", "--n-generate", "4"]


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
@pytest.mark.parametrize("agent", ["rafa", "tot"])
def test_run_with_the_mcts_planner(tmp_path: Path, backend: str, agent: str) -> None:
    out = tmp_path / "results.jsonl"

    result = rafa(
        "run", "game24", "--agent", agent, "--planner", "mcts", "--puzzles", "901-903",
        "--mcts-concurrency", "4", "--mcts-c", "0.5", "--backend", backend, *FAST,
        "--out", str(out),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "simulations=8 concurrency=4 c=0.5" in result.stdout
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 3 and all(r["llm_calls"] > 0 for r in records)


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--mcts-c", "2"], "--mcts-c applies only to --planner mcts"),
        (["--mcts-simulations", "2"], "--mcts-simulations applies only to --planner mcts"),
        (["--planner", "mcts", "--beam", "2"], "--beam applies only to --planner beam"),
        (["--planner", "mcts", "--agent", "direct"], "agent direct does not plan"),
        (["--planner", "mcts", "--mcts-concurrency", "0"], "--mcts-concurrency must be >= 1"),
        (["--planner", "mcts", "--mcts-c", "-1"], "--mcts-c must be a number >= 0"),
        (["--planner", "alphago"], "alphago"),
    ],
)
def test_bad_planner_options_are_refused_in_one_line(args: list[str], problem: str) -> None:
    result = rafa("run", "game24", "--puzzles", "901", *args)

    assert_one_line_error(result, problem)


@pytest.mark.parametrize("agent", ["rafa", "tot"])
def test_agents_plan_with_the_mcts_options_given(agent: str) -> None:
    options = AgentOptions(planner="mcts", mcts_simulations=7, mcts_concurrency=3, mcts_c=0.4)
    bench = SCENARIOS["game24"]

    built = make_agent(agent, options, CountingLLM(), bench)

    search = built.planner  # type: ignore[attr-defined]
    assert isinstance(search, MCTSPlanner)
    assert (search.simulations, search.concurrency, search.c) == (7, 3, 0.4)
    assert search.depth == bench.max_steps
