"""rafa_async.app.open_llm: the one way rafa run, rafa play and programs build their LLM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support import EchoLLM

from rafa_async import ConfigError
from rafa_async.app import (
    BenchmarkConfig,
    LLMOptions,
    PlayConfig,
    open_llm,
    play_match,
    play_series,
    resolve_llm,
    run_benchmark,
)
from rafa_async.llm import ChatRequest, Intent, LatencyModel, Message, MiddlewareStack, SimLLM
from rafa_async.scenarios import simulated_llm

INSTANT = LatencyModel(scale=0.0)
AIOHTTP = LLMOptions(provider="openai:sim", base_url="http://127.0.0.1:9/v1", transport="aiohttp")
REQUEST = ChatRequest(
    messages=(Message(role="user", content="Propose next steps."),),
    intent=Intent(kind="propose", scenario="game24", state="4 9 10 13"),
)


# -- checks, before anything is built --------------------------------------------------


@pytest.mark.parametrize(
    ("options", "backend", "message", "fields"),
    [
        (
            LLMOptions(record="a.cassette", replay="b.cassette"),
            None,
            "record and replay exclude each other",
            ("record", "replay"),
        ),
        (LLMOptions(replay="missing.cassette"), None, "no such cassette file", ("replay",)),
        (LLMOptions(record="no/folder/x.cassette"), None, "no such folder", ("record",)),
        (LLMOptions(stream=True), None, "stream is for HTTP providers", ("stream",)),
        (
            AIOHTTP,
            "trio",
            "transport aiohttp runs only on asyncio",
            ("transport", "backend"),
        ),
        (LLMOptions(max_concurrency=0), None, "max_concurrency must be >= 1", ("max_concurrency",)),
    ],
    ids=["record-replay", "replay-missing", "record-unwritable", "stream-sim", "aiohttp-trio",
         "concurrency"],
)  # fmt: skip
def test_bad_options_are_one_config_error_naming_the_fields(
    options: LLMOptions,
    backend: str | None,
    message: str,
    fields: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=message) as caught:
        resolve_llm(options, backend=backend)
    assert caught.value.fields == fields
    assert "--" not in str(caught.value)  # a program has no command-line options


def test_a_missing_key_is_an_error_only_when_something_calls_the_llm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    options = LLMOptions(provider="openai:gpt-4o-mini")
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        resolve_llm(options)
    assert resolve_llm(options, uses_llm=False).label == "openai:gpt-4o-mini"


def test_the_default_is_the_simulated_llm() -> None:
    resolved = resolve_llm(LLMOptions())
    assert (resolved.label, resolved.settings.simulated) == ("sim", True)
    assert resolved.settings.max_concurrency == 256


# -- open_llm ------------------------------------------------------------------------


@pytest.mark.anyio
async def test_open_llm_opens_the_sim_in_the_standard_middleware(anyio_backend: Any) -> None:
    async with open_llm(
        LLMOptions(max_concurrency=3), sim=lambda: simulated_llm(latency=INSTANT)
    ) as llm:
        assert isinstance(llm, MiddlewareStack)
        assert isinstance(llm.provider, SimLLM)
        assert llm.limit.limit == 3
        await llm.complete(REQUEST)
    assert (llm.totals.completed, llm.totals.simulated) == (1, 1)


@pytest.mark.anyio
async def test_a_built_provider_goes_into_the_middleware_as_it_is(anyio_backend: Any) -> None:
    echo = EchoLLM()
    async with open_llm(LLMOptions(), provider=echo) as llm:
        response = await llm.complete(REQUEST)
    assert response.text == "echo: Propose next steps."
    assert echo.calls == 1


@pytest.mark.anyio
async def test_a_cassette_recorded_by_open_llm_answers_a_replay_offline(
    anyio_backend: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cassette = str(tmp_path / "calls.jsonl")
    sim = lambda: simulated_llm(latency=INSTANT)  # noqa: E731
    async with open_llm(LLMOptions(record=cassette), sim=sim) as llm:
        recorded = await llm.complete(REQUEST)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    async with open_llm(LLMOptions(replay=cassette), sim=sim) as llm:
        assert not isinstance(llm.provider, SimLLM)  # nothing built: the cassette answers
        assert await llm.complete(REQUEST) == recorded
    as_another = LLMOptions(provider="openai:gpt-4o-mini", replay=cassette)
    with pytest.raises(ConfigError, match="was recorded from sim"):
        async with open_llm(as_another, sim=sim):
            pass


@pytest.mark.anyio
async def test_the_transport_check_asks_the_running_loop(anyio_backend: Any) -> None:
    options = LLMOptions(
        provider="openai:sim", base_url="http://127.0.0.1:9/v1", transport="aiohttp"
    )
    if anyio_backend[0] == "asyncio":
        async with open_llm(options, uses_llm=False):
            pass
    else:
        with pytest.raises(ConfigError, match="runs only on asyncio"):
            async with open_llm(options):
                pass


# -- runs given no llm open the sim the same way ------------------------------------------


@pytest.mark.anyio
async def test_runs_given_no_llm_open_the_configs_sim(
    anyio_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[LLMOptions] = []
    real = open_llm

    def spy(options: LLMOptions | None = None, **kwargs: Any) -> Any:
        assert options is not None
        opened.append(options)
        return real(options, **kwargs)

    monkeypatch.setattr("rafa_async.app._llm.open_llm", spy)
    await run_benchmark(BenchmarkConfig(tasks="901", max_llm_concurrency=7, latency=INSTANT))
    series = PlayConfig(
        game="tictactoe", seats={"X": "direct", "O": "random"}, episodes=1, llm_concurrency=5,
        latency=INSTANT,
    )  # fmt: skip
    await play_series(series)
    record = await play_match(series, 0)
    assert record.llm_calls > 0
    assert opened == [
        LLMOptions(max_concurrency=7, timeout=120.0),
        LLMOptions(max_concurrency=5, timeout=120.0),
        LLMOptions(max_concurrency=5, timeout=120.0),
    ]
