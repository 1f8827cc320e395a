"""The simulated LLM: determinism, latency, faults and noise."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import anyio
import msgspec
import pytest

from rafa_async import LLMTimeout, MalformedResponse, ProviderError, RateLimited, sampling_seed
from rafa_async.llm import (
    SIM_LABEL,
    ChatRequest,
    ChatResponse,
    FaultModel,
    Intent,
    LatencyModel,
    Message,
    NoiseModel,
    SimLLM,
    Timeout,
    estimate_tokens,
)
from rafa_async.llm._keys import request_key
from rafa_async.scenarios.game24 import Game24Oracle, Game24State, Game24World
from rafa_async.testing import backend_options

PUZZLES = [(4, 9, 10, 13), (1, 2, 3, 4), (3, 3, 8, 8), (1, 1, 4, 6), (2, 3, 5, 12)]
WORLD = Game24World()
# Some garbling, so determinism covers the noise path too.
NOISE = NoiseModel(malformed_rate=0.2)
INSTANT = LatencyModel(scale=0.0)
PLAIN = ChatRequest(messages=(Message("user", "Hello, who are you?"),))


def start(numbers: tuple[int, ...]) -> Game24State:
    return Game24State.start([Fraction(n) for n in numbers])


def game24_requests(samples: int = 3) -> list[ChatRequest]:
    requests = []
    for numbers in PUZZLES:
        state = start(numbers)
        for sample in range(samples):
            requests.append(WORLD.propose_request(state, (), sample))
            requests.append(WORLD.evaluate_request(state, (), sample))
            requests.append(WORLD.solve_request(state, (), sample))
        memory = (f"{state.key} cannot reach 24",)
        requests.append(WORLD.evaluate_request(state, memory, 0))
        requests.append(WORLD.propose_request(state, memory, 0))
        requests.append(WORLD.reflect_request(state, "Answer: 1 + 2", "it equals 3, not 24", 0))
    return requests


def sim(
    seed: int = 0,
    *,
    noise: NoiseModel = NOISE,
    latency: LatencyModel | None = None,
    faults: FaultModel | None = None,
) -> SimLLM:
    return SimLLM(
        {"game24": Game24Oracle()}, seed=seed, noise=noise, latency=latency, faults=faults
    )


async def complete_in_order(
    llm: SimLLM, requests: list[ChatRequest], order: list[int]
) -> list[ChatResponse]:
    responses: dict[int, ChatResponse] = {}
    for i in order:
        responses[i] = await llm.complete(requests[i])
    return [responses[i] for i in range(len(requests))]


async def complete_concurrently(
    llm: SimLLM, requests: list[ChatRequest]
) -> list[tuple[ChatResponse, float]]:
    """Each response with the virtual time it arrived after the batch began."""
    results: dict[int, tuple[ChatResponse, float]] = {}
    begin = anyio.current_time()

    async def one(i: int) -> None:
        response = await llm.complete(requests[i])
        results[i] = (response, anyio.current_time() - begin)

    async with anyio.create_task_group() as tg:
        for i in reversed(range(len(requests))):
            tg.start_soon(one, i)
    return [results[i] for i in range(len(requests))]


# -- determinism -----------------------------------------------------------------


@pytest.mark.anyio
async def test_same_seed_gives_same_responses_in_any_call_order(anyio_backend: Any) -> None:
    requests = game24_requests()
    indices = list(range(len(requests)))
    shuffled = indices.copy()
    random.Random(1).shuffle(shuffled)
    forward = await complete_in_order(sim(seed=11), requests, indices)
    assert await complete_in_order(sim(seed=11), requests, indices[::-1]) == forward
    assert await complete_in_order(sim(seed=11), requests, shuffled) == forward


@pytest.mark.anyio
async def test_same_seed_gives_same_responses_when_calls_overlap(anyio_backend: Any) -> None:
    requests = game24_requests()
    sequential = await complete_in_order(sim(seed=11), requests, list(range(len(requests))))
    concurrent = await complete_concurrently(sim(seed=11, latency=LatencyModel()), requests)
    assert [response for response, _ in concurrent] == sequential


@pytest.mark.anyio
async def test_repeating_a_request_repeats_its_response(anyio_backend: Any) -> None:
    llm = sim(seed=3, latency=INSTANT)
    requests = game24_requests()
    first = [await llm.complete(r) for r in requests]
    assert [await llm.complete(r) for r in requests] == first


@pytest.mark.anyio
async def test_different_seeds_give_different_responses(anyio_backend: Any) -> None:
    requests = game24_requests()
    order = list(range(len(requests)))
    a = await complete_in_order(sim(seed=1, latency=INSTANT), requests, order)
    b = await complete_in_order(sim(seed=2, latency=INSTANT), requests, order)
    assert a != b


@pytest.mark.anyio
async def test_a_sampling_seed_draws_other_answers_and_repeats_them(anyio_backend: Any) -> None:
    requests = game24_requests()
    order = list(range(len(requests)))
    unseeded = await complete_in_order(sim(seed=1, latency=INSTANT), requests, order)
    with sampling_seed(7):
        seven = await complete_in_order(sim(seed=1, latency=INSTANT), requests, order)
        again = await complete_in_order(sim(seed=1, latency=INSTANT), requests, order[::-1])
    with sampling_seed(8):
        eight = await complete_in_order(sim(seed=1, latency=INSTANT), requests, order)
    assert seven == again  # a sampling seed is as deterministic as the sim's seed
    assert seven != unseeded
    assert seven != eight
    # Outside the scope, calls are sampled as before.
    assert await complete_in_order(sim(seed=1, latency=INSTANT), requests, order) == unseeded


def test_a_sampling_seed_is_another_cache_key() -> None:
    plain = request_key(PLAIN, "p")
    with sampling_seed(3):
        three = request_key(PLAIN, "p")
    with sampling_seed(4):
        four = request_key(PLAIN, "p")
    assert len({plain, three, four}) == 3
    assert request_key(PLAIN, "p") == plain


@pytest.mark.anyio
async def test_samples_of_one_question_differ(anyio_backend: Any) -> None:
    llm = sim(latency=INSTANT, noise=NoiseModel(malformed_rate=0.0))
    state = start((1, 2, 3, 4))
    texts = {(await llm.complete(WORLD.propose_request(state, (), s))).text for s in range(20)}
    assert len(texts) > 1


async def _game24_batch_digest() -> str:
    results = await complete_concurrently(sim(seed=5, latency=LatencyModel()), game24_requests())
    digest = hashlib.sha256()
    for response, arrived in results:
        digest.update(msgspec.json.encode(response))
        digest.update(f"{arrived:.9f}\n".encode())
    return digest.hexdigest()


def test_game24_batch_is_identical_on_trio_and_asyncio() -> None:
    digests = {
        backend: anyio.run(
            _game24_batch_digest, backend=backend, backend_options=backend_options(backend)
        )
        for backend in ("trio", "asyncio")
    }
    assert digests["trio"] == digests["asyncio"]


# -- latency ---------------------------------------------------------------------


@pytest.mark.anyio
async def test_fixed_latency_call_takes_exactly_that_long(anyio_backend: Any) -> None:
    llm = sim(latency=LatencyModel.fixed(0.1))
    begin = anyio.current_time()
    await llm.complete(game24_requests()[0])
    assert anyio.current_time() - begin == pytest.approx(0.1, abs=1e-9)


@pytest.mark.anyio
async def test_concurrent_calls_overlap_their_latency(anyio_backend: Any) -> None:
    requests = game24_requests()[:50]
    assert len(requests) == 50
    begin = anyio.current_time()
    results = await complete_concurrently(sim(latency=LatencyModel.fixed(0.1)), requests)
    assert anyio.current_time() - begin == pytest.approx(0.1, abs=1e-9)
    assert all(arrived == pytest.approx(0.1, abs=1e-9) for _, arrived in results)


@pytest.mark.anyio
async def test_zero_latency_scale_takes_no_time(anyio_backend: Any) -> None:
    llm = sim(latency=LatencyModel(ttft=5.0, scale=0.0))
    begin = anyio.current_time()
    for request in game24_requests():
        await llm.complete(request)
    assert anyio.current_time() - begin == 0.0


@pytest.mark.anyio
async def test_latency_grows_with_completion_tokens(anyio_backend: Any) -> None:
    llm = sim(latency=LatencyModel(ttft=0.5, tokens_per_s=10.0, jitter=0.0))
    for request in game24_requests()[:6]:
        begin = anyio.current_time()
        response = await llm.complete(request)
        expected = 0.5 + response.usage.completion_tokens / 10.0
        assert anyio.current_time() - begin == pytest.approx(expected)


@pytest.mark.anyio
async def test_latency_jitter_stays_within_its_bounds(anyio_backend: Any) -> None:
    latency = LatencyModel(ttft=1.0, tokens_per_s=float("inf"), jitter=0.2)
    results = await complete_concurrently(sim(latency=latency), game24_requests())
    arrivals = [arrived for _, arrived in results]
    assert all(0.8 - 1e-9 <= t <= 1.2 + 1e-9 for t in arrivals)
    assert len(set(arrivals)) > 1


@pytest.mark.anyio
async def test_a_cancelled_call_stops_at_its_latency_sleep(anyio_backend: Any) -> None:
    llm = sim(latency=LatencyModel.fixed(10.0))
    begin = anyio.current_time()
    with anyio.move_on_after(1.0) as scope:
        await llm.complete(game24_requests()[0])
    assert scope.cancelled_caught
    assert anyio.current_time() - begin == pytest.approx(1.0)


# -- responses -------------------------------------------------------------------


@pytest.mark.anyio
async def test_request_without_intent_gets_a_labelled_simulated_answer(
    anyio_backend: Any,
) -> None:
    response = await sim(latency=INSTANT).complete(PLAIN)
    assert SIM_LABEL in response.text
    assert "simulated" in response.text.lower()
    assert response.simulated


@pytest.mark.anyio
async def test_every_response_is_marked_simulated(anyio_backend: Any) -> None:
    llm = sim(latency=INSTANT, noise=NoiseModel(malformed_rate=0.5))
    responses = [await llm.complete(r) for r in game24_requests()]
    assert all(r.simulated and r.model == "sim" for r in responses)


@pytest.mark.anyio
@pytest.mark.parametrize(("numbers", "believed"), [((4, 9, 10, 13), False), ((1, 1, 1, 1), True)])
async def test_evaluate_confidence_is_the_belief_channels_not_the_truth(
    anyio_backend: Any, numbers: tuple[int, ...], believed: bool
) -> None:
    # Every prior is wrong: the solvable puzzle is believed dead, the dead one alive.
    llm = sim(latency=INSTANT, noise=NoiseModel.perfect(wrong_belief_rate=1.0, value_noise=0.3))
    state = start(numbers)

    judged = await llm.complete(WORLD.evaluate_request(state, (), 0))
    proposed = await llm.complete(WORLD.propose_request(state, (), 0))

    assert judged.confidence == pytest.approx(0.7 * believed + 0.3 * 2 / 3)
    assert proposed.confidence is None


def test_a_response_recorded_without_confidence_still_decodes() -> None:
    old = b'{"text": "sure", "model": "sim", "simulated": true}'

    assert msgspec.json.decode(old, type=ChatResponse).confidence is None


@pytest.mark.anyio
async def test_usage_counts_prompt_and_completion_tokens(anyio_backend: Any) -> None:
    llm = sim(latency=INSTANT)
    for request in game24_requests()[:6]:
        response = await llm.complete(request)
        assert response.usage.completion_tokens == estimate_tokens(response.text)
        assert response.usage.prompt_tokens >= estimate_tokens(request.messages[0].content)


@pytest.mark.anyio
async def test_unknown_scenario_is_a_non_retryable_provider_error(anyio_backend: Any) -> None:
    request = ChatRequest(
        messages=(Message("user", "your move"),),
        intent=Intent(kind="propose", scenario="chess", state="e4"),
    )
    with pytest.raises(ProviderError, match="chess") as info:
        await sim(latency=INSTANT).complete(request)
    assert info.value.status == 400
    assert not info.value.retryable


# -- faults ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_rate_limit_fault_raises_rate_limited_with_retry_after(anyio_backend: Any) -> None:
    llm = sim(latency=INSTANT, faults=FaultModel(rate_limit_rate=1.0, retry_after=3.5))
    with pytest.raises(RateLimited) as info:
        await llm.complete(game24_requests()[0])
    assert info.value.retry_after == 3.5
    assert info.value.retryable


@pytest.mark.anyio
async def test_server_error_fault_raises_a_retryable_provider_error(anyio_backend: Any) -> None:
    llm = sim(latency=INSTANT, faults=FaultModel(server_error_rate=1.0))
    with pytest.raises(ProviderError) as info:
        await llm.complete(game24_requests()[0])
    assert info.value.retryable
    assert info.value.status == 500


@pytest.mark.anyio
async def test_hang_fault_is_cut_short_by_timeout(anyio_backend: Any) -> None:
    llm = Timeout(sim(latency=INSTANT, faults=FaultModel(hang_rate=1.0)), 5.0)
    begin = anyio.current_time()
    with pytest.raises(LLMTimeout):
        await llm.complete(game24_requests()[0])
    assert anyio.current_time() - begin == pytest.approx(5.0)


@pytest.mark.anyio
async def test_faults_are_decided_per_attempt(anyio_backend: Any) -> None:
    llm = sim(latency=INSTANT, faults=FaultModel(server_error_rate=0.5))
    attempts_needed = []
    for request in game24_requests():
        for attempt in range(1, 30):
            try:
                await llm.complete(request)
            except ProviderError:
                continue
            attempts_needed.append(attempt)
            break
    assert len(attempts_needed) == len(game24_requests())
    assert min(attempts_needed) == 1
    assert max(attempts_needed) > 1


@pytest.mark.anyio
async def test_fault_free_sim_never_fails(anyio_backend: Any) -> None:
    llm = sim(latency=INSTANT, faults=FaultModel())
    for request in game24_requests():
        await llm.complete(request)


# -- noise -----------------------------------------------------------------------

Parser = Callable[[Game24State, str], object]
PARSERS: dict[str, tuple[Callable[..., ChatRequest], Parser]] = {
    "propose": (WORLD.propose_request, WORLD.parse_proposal),
    "evaluate": (WORLD.evaluate_request, lambda state, text: WORLD.parse_value(text)),
    "solve": (WORLD.solve_request, lambda state, text: WORLD.parse_solution(text)),
}


async def clean_and_garbled(kind: str) -> list[tuple[Game24State, str, str]]:
    """(state, clean answer, garbled answer) for several questions of one kind."""
    make_request, _ = PARSERS[kind]
    clean = sim(seed=4, latency=INSTANT, noise=NoiseModel(malformed_rate=0.0))
    garbled = sim(seed=4, latency=INSTANT, noise=NoiseModel(malformed_rate=1.0))
    answers = []
    for numbers in PUZZLES:
        state = start(numbers)
        for sample in range(6):
            request = make_request(state, (), sample)
            texts = [(await llm.complete(request)).text for llm in (clean, garbled)]
            answers.append((state, *texts))
    return answers


@pytest.mark.anyio
@pytest.mark.parametrize("kind", PARSERS)
async def test_malformed_rate_one_garbles_every_answer(anyio_backend: Any, kind: str) -> None:
    for _, clean, garbled in await clean_and_garbled(kind):
        assert garbled != clean


@pytest.mark.anyio
@pytest.mark.parametrize("kind", PARSERS)
async def test_answers_without_malformed_noise_always_parse(anyio_backend: Any, kind: str) -> None:
    _, parse = PARSERS[kind]
    for state, clean, _ in await clean_and_garbled(kind):
        parse(state, clean)


async def garbled_parses(kind: str) -> list[tuple[object, object | None]]:
    """(clean answer parsed, garbled answer parsed) for several questions of one
    kind; None where the parser rejects the garbled answer as malformed."""
    _, parse = PARSERS[kind]
    parses: list[tuple[object, object | None]] = []
    for state, clean, garbled in await clean_and_garbled(kind):
        try:
            parsed = parse(state, garbled)
        except MalformedResponse:
            parsed = None
        parses.append((parse(state, clean), parsed))
    return parses


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["propose", "solve"])
async def test_garbled_answers_mostly_raise_malformed_response(
    anyio_backend: Any, kind: str
) -> None:
    parses = await garbled_parses(kind)
    rejected = sum(garbled is None for _, garbled in parses)
    assert rejected >= len(parses) / 2


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["propose", "solve"])
async def test_garbled_answers_never_parse_as_the_clean_answer(
    anyio_backend: Any, kind: str
) -> None:
    for clean, garbled in await garbled_parses(kind):
        assert garbled is None or garbled != clean


RATES = [name for name in NoiseModel.__struct_fields__ if name != "preference_sharpness"]


@pytest.mark.parametrize("value", [-0.01, 1.01, 7.0])
@pytest.mark.parametrize("name", RATES)
def test_noise_model_rejects_a_rate_outside_zero_to_one(name: str, value: float) -> None:
    with pytest.raises(ValueError, match=name):
        NoiseModel(**{name: value})


@pytest.mark.parametrize("value", [0.0, 1.0])
@pytest.mark.parametrize("name", RATES)
def test_noise_model_accepts_rates_at_the_bounds(name: str, value: float) -> None:
    assert getattr(NoiseModel(**{name: value}), name) == value


def test_noise_model_rejects_negative_preference_sharpness() -> None:
    with pytest.raises(ValueError, match="preference_sharpness"):
        NoiseModel(preference_sharpness=-0.5)


def test_noise_model_allows_preference_sharpness_above_one() -> None:
    assert NoiseModel(preference_sharpness=3.0).preference_sharpness == 3.0


def test_perfect_noise_model_has_no_noise_but_the_overrides() -> None:
    perfect = NoiseModel.perfect(value_noise=0.5)
    assert perfect.proposal_quality == 1.0
    assert perfect.wrong_belief_rate == 0.0
    assert perfect.malformed_rate == 0.0
    assert perfect.value_noise == 0.5
