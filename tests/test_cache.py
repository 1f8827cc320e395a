"""Cache: hits without upstream calls, persistence, keys, coalescing, bad files."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import anyio
import pytest
from support import EchoLLM, game24_sim

from rafa_async import ConfigError, ProviderError
from rafa_async.llm import Cache, ChatRequest, ChatResponse, Intent, Message, MiddlewareStack
from rafa_async.llm._keys import request_key

pytestmark = pytest.mark.anyio


def ask(text: str = "What is 4 + 9?", **fields: Any) -> ChatRequest:
    return ChatRequest(messages=(Message("user", text),), **fields)


async def ask_concurrently(llm: Any, requests: list[ChatRequest]) -> list[ChatResponse]:
    responses: list[ChatResponse | None] = [None] * len(requests)

    async def one(i: int) -> None:
        responses[i] = await llm.complete(requests[i])

    async with anyio.create_task_group() as tg:
        for i in range(len(requests)):
            tg.start_soon(one, i)
    return [r for r in responses if r is not None]


async def test_a_hit_returns_the_identical_response_without_calling_upstream(
    anyio_backend: Any,
) -> None:
    provider = EchoLLM()
    with_cache = Cache(provider, ":memory:")
    first = await with_cache.complete(ask())
    second = await with_cache.complete(ask())
    assert second == first
    assert provider.calls == 1
    assert (with_cache.hits, with_cache.misses) == (1, 1)
    with_cache.close()


async def test_entries_persist_across_instances(anyio_backend: Any, tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    first = Cache(EchoLLM(), path)
    answer = await first.complete(ask())
    first.close()
    provider = EchoLLM()
    second = Cache(provider, path)
    assert await second.complete(ask()) == answer
    assert provider.calls == 0
    second.close()


@pytest.mark.parametrize(
    "changed",
    [
        {"model": "other-model"},
        {"temperature": 0.0},
        {"max_tokens": 50},
        {"intent": Intent(kind="propose", scenario="game24", state="4 9 10 13", sample=1)},
    ],
    ids=["model", "temperature", "max_tokens", "intent"],
)
async def test_any_changed_field_is_a_miss(anyio_backend: Any, changed: dict[str, Any]) -> None:
    provider = EchoLLM()
    cache = Cache(provider, ":memory:")
    await cache.complete(ask(intent=Intent(kind="propose", scenario="game24", state="4 9 10 13")))
    await cache.complete(
        ask(**{"intent": Intent(kind="propose", scenario="game24", state="4 9 10 13")} | changed)
    )
    assert provider.calls == 2
    cache.close()


async def test_another_provider_is_a_miss_on_the_same_file(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "cache.sqlite"
    a, b = EchoLLM(identity="openai:gpt-4o"), EchoLLM(identity="anthropic:claude")
    cache_a, cache_b = Cache(a, path), Cache(b, path)
    await cache_a.complete(ask())
    await cache_b.complete(ask())
    assert (a.calls, b.calls) == (1, 1)
    cache_a.close()
    cache_b.close()


def test_sim_seeds_and_noise_give_different_keys() -> None:
    identities = {
        game24_sim().identity,
        game24_sim(value_noise=0.2).identity,
        Cache(game24_sim(), ":memory:").identity,
    }
    assert len(identities) == 2
    request = ask()
    assert request_key(request, "a") == request_key(ask(), "a") != request_key(request, "b")


async def test_errors_are_not_cached(anyio_backend: Any) -> None:
    provider = EchoLLM(ProviderError("bad gateway", status=502, retryable=True))
    cache = Cache(provider, ":memory:")
    with pytest.raises(ProviderError):
        await cache.complete(ask())
    await cache.complete(ask())
    await cache.complete(ask())
    assert provider.calls == 2
    assert (cache.hits, cache.misses) == (1, 2)
    cache.close()


# -- coalescing -------------------------------------------------------------------------------


async def test_concurrent_identical_misses_make_one_upstream_call(anyio_backend: Any) -> None:
    provider = EchoLLM(latency=1.0)
    cache = Cache(provider, ":memory:")
    responses = await ask_concurrently(cache, [ask()] * 10)
    assert provider.calls == 1
    assert len(set(r.text for r in responses)) == 1 and len(responses) == 10
    assert (cache.misses, cache.coalesced, cache.hits) == (1, 9, 0)
    assert anyio.current_time() == pytest.approx(1.0)
    cache.close()


async def test_distinct_samples_are_not_coalesced(anyio_backend: Any) -> None:
    provider = EchoLLM(latency=1.0)
    cache = Cache(provider, ":memory:")
    samples = [
        ask(intent=Intent(kind="evaluate", scenario="game24", state="1 2 3 4", sample=i))
        for i in range(5)
    ]
    await ask_concurrently(cache, samples * 2)
    assert provider.calls == 5
    cache.close()


async def test_a_failed_leader_does_not_fail_its_followers(anyio_backend: Any) -> None:
    provider = EchoLLM(ProviderError("overloaded", status=503, retryable=True), latency=1.0)
    cache = Cache(provider, ":memory:")
    outcomes: list[str] = []

    async def one() -> None:
        try:
            outcomes.append((await cache.complete(ask())).text)
        except ProviderError:
            outcomes.append("failed")

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(one)
    assert sorted(outcomes) == ["echo: What is 4 + 9?"] * 3 + ["failed"]
    assert provider.calls == 4
    cache.close()


async def test_a_cancelled_leader_leaves_its_followers_an_answer(anyio_backend: Any) -> None:
    provider = EchoLLM(latency=1.0)
    cache = Cache(provider, ":memory:")
    answers: list[ChatResponse] = []

    async def leader() -> None:
        with anyio.move_on_after(0.5):
            await cache.complete(ask())

    async def follower() -> None:
        answers.append(await cache.complete(ask()))

    async with anyio.create_task_group() as tg:
        tg.start_soon(leader)
        await anyio.sleep(0.1)
        tg.start_soon(follower)
    assert len(answers) == 1
    assert provider.calls == 2
    cache.close()


# -- files -------------------------------------------------------------------------------------


def test_a_corrupted_file_is_a_clear_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    path.write_bytes(b"this is not a database, just some bytes " * 100)
    with pytest.raises(ConfigError, match=rf"response cache {path} cannot be used.*delete it"):
        Cache(EchoLLM(), path)


def test_a_file_of_another_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    Cache(EchoLLM(), path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = 'rafa-response-cache/99' WHERE name = 'format'")
    db.close()
    with pytest.raises(ConfigError, match=r"format 'rafa-response-cache/99'"):
        Cache(EchoLLM(), path)


async def test_a_damaged_entry_is_a_clear_error(anyio_backend: Any, tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    cache = Cache(EchoLLM(), path)
    await cache.complete(ask())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE responses SET response = x'c1c1c1'")
    db.close()
    with pytest.raises(ConfigError, match=rf"{path} has a damaged entry"):
        await cache.complete(ask())
    cache.close()


async def test_a_file_locked_by_another_process_is_waited_for_off_the_loop(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "cache.sqlite"
    cache = Cache(EchoLLM(), path)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    other.execute("INSERT INTO responses VALUES ('k', x'00', 0)")
    stored = anyio.Event()

    async def store() -> None:
        await cache.complete(ask())
        stored.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(store)
        await anyio.sleep(0.1)
        assert not stored.is_set()  # the loop is free while the store waits
        other.execute("COMMIT")
    other.close()
    reader = Cache(EchoLLM(), path)
    assert (await reader.complete(ask())).text == "echo: What is 4 + 9?"
    assert reader.hits == 1
    reader.close()
    cache.close()


# -- in the stack ------------------------------------------------------------------------------


async def test_stack_cache_hits_skip_retry_and_the_rate_limit(
    anyio_backend: Any, tmp_path: Path
) -> None:
    provider = EchoLLM(ProviderError("flaky", status=500, retryable=True))
    async with MiddlewareStack(provider, cache=tmp_path / "c.sqlite", rpm=1) as stack:
        first = await stack.complete(ask())
        started = anyio.current_time()
        again = [await stack.complete(ask()) for _ in range(5)]
    assert again == [first] * 5
    assert anyio.current_time() == started  # no rate-limit wait for hits
    assert provider.calls == 2  # one failure, retried once, then cached
    assert stack.cache is not None and stack.cache.hits == 5
    assert stack.totals.completed == 6


async def test_stack_cache_keys_on_the_provider_identity(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "c.sqlite"
    outcomes = []
    for seed in (0, 1, 0):
        sim = game24_sim()
        sim.seed = seed
        async with MiddlewareStack(sim, cache=path) as stack:
            await stack.complete(ask())
        assert stack.cache is not None
        outcomes.append((stack.cache.hits, stack.cache.misses))
    assert outcomes == [(0, 1), (0, 1), (1, 0)]


def test_a_cache_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot open the response cache .*folder exists"):
        Cache(EchoLLM(), tmp_path / "no" / "such" / "cache.sqlite")
