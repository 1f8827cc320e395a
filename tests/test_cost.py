"""Cost accounting: price tables, the meter's cost per agent, match and run."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import anyio
import pytest
import structlog
from support import EchoLLM, game24_sim

from rafa_async import ConfigError, ProviderError, episode_scope
from rafa_async.llm import (
    DEFAULT_PRICES,
    ChatRequest,
    Intent,
    Message,
    MiddlewareStack,
    ModelPrice,
    PriceTable,
    Usage,
    UsageMeter,
    total_cost,
)

pytestmark = pytest.mark.anyio

PRICES = PriceTable(
    as_of="2025-06-01",
    models={
        "cheap": ModelPrice(input=1.0, output=2.0),
        "pricey": ModelPrice(input=10.0, output=40.0, cached_input=2.5),
    },
)


def ask(model: str, text: str = "x" * 10) -> ChatRequest:
    return ChatRequest(messages=(Message("user", text),), model=model)


# -- prices ------------------------------------------------------------------------------------


def test_model_price_charges_input_cached_input_and_output() -> None:
    price = ModelPrice(input=10.0, output=40.0, cached_input=2.5)
    usage = Usage(prompt_tokens=1_000_000, completion_tokens=500_000, cached_prompt_tokens=400_000)
    assert price.cost(usage) == pytest.approx(6.0 + 1.0 + 20.0)


def test_cached_input_costs_the_input_price_when_the_model_has_none() -> None:
    usage = Usage(prompt_tokens=2_000_000, cached_prompt_tokens=1_000_000)
    assert ModelPrice(input=1.0, output=2.0).cost(usage) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o-mini", "gpt-4o-mini"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("claude-3-5-haiku-20241022", "claude-3-5-haiku"),
        ("claude-3-5-haiku-latest", "claude-3-5-haiku"),
        ("gpt-4-turbo", None),  # not a snapshot of gpt-4: a different model and price
        ("gpt-4o-mini-audio-preview", None),
        ("llama3:8b", None),
    ],
)
def test_lookup_finds_models_and_their_dated_snapshots(model: str, expected: str | None) -> None:
    found = DEFAULT_PRICES.lookup(model)
    assert found == (DEFAULT_PRICES.models[expected] if expected else None)


def test_the_default_table_is_dated() -> None:
    assert datetime.date.fromisoformat(DEFAULT_PRICES.as_of) < datetime.date.today()
    assert DEFAULT_PRICES.source


def test_a_table_loads_from_toml_and_overrides_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(
        'as_of = "2030-01-01"\n'
        '[models."gpt-4o-mini"]\ninput = 0.1\noutput = 0.4\n'
        '[models."my-local-llama"]\ninput = 0.0\noutput = 0.0\n'
    )
    table = DEFAULT_PRICES.merged(PriceTable.load(path))
    assert table.as_of == "2030-01-01"
    assert table.models["gpt-4o-mini"] == ModelPrice(input=0.1, output=0.4)
    assert table.cost("my-local-llama", Usage(100, 100)) == 0.0
    assert table.models["gpt-4o"] == DEFAULT_PRICES.models["gpt-4o"]


def test_a_table_loads_from_json(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text('{"as_of": "2030-01-01", "models": {"m": {"input": 1, "output": 3}}}')
    assert PriceTable.load(path).cost("m", Usage(1_000_000, 1_000_000)) == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('as_of = "2030-01-01"\n[models.m]\ninput = -1.0\noutput = 1.0\n', "must be >= 0"),
        ('as_of = "2030-01-01"\n[models.m]\ninput = 1.0\n', "missing required field `output`"),
        ('as_of = "2030-01-01"\n[models.m]\ninput = 1\noutput = 1\nfoo = 2\n', "unknown field"),
        ("as_of = ", "Invalid"),
    ],
)
def test_a_bad_table_is_a_clear_error_naming_the_file(
    tmp_path: Path, text: str, error: str
) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=rf"price table {path}: .*{error}"):
        PriceTable.load(path)


def test_a_missing_table_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"price table .*nope\.toml"):
        PriceTable.load(tmp_path / "nope.toml")


# -- the meter ---------------------------------------------------------------------------------


async def test_the_meter_sums_the_cost_of_each_call(anyio_backend: Any) -> None:
    meter = UsageMeter(EchoLLM(), prices=PRICES)
    await meter.complete(ask("cheap"))  # 10 prompt + 16 completion tokens
    await meter.complete(ask("pricey"))
    expected = (10 * 1.0 + 16 * 2.0 + 10 * 10.0 + 16 * 40.0) / 1e6
    assert meter.totals.cost == pytest.approx(expected)
    assert meter.totals.unpriced == 0


async def test_an_unknown_model_makes_the_cost_unknown_and_warns_once(anyio_backend: Any) -> None:
    meter = UsageMeter(EchoLLM(), prices=PRICES)
    with structlog.testing.capture_logs() as logs:
        await meter.complete(ask("cheap"))
        for _ in range(3):
            await meter.complete(ask("mystery-model"))
    assert meter.totals.cost is None
    assert meter.totals.unpriced == 3
    assert meter.totals.cost_usd == pytest.approx((10 + 32) / 1e6)
    assert [(e["event"], e["model"]) for e in logs] == [("llm_model_unpriced", "mystery-model")]


async def test_without_a_table_real_calls_cost_unknown(anyio_backend: Any) -> None:
    meter = UsageMeter(EchoLLM())
    await meter.complete(ask("cheap"))
    assert meter.totals.cost is None


async def test_the_simulated_llm_costs_nothing(anyio_backend: Any) -> None:
    meter = UsageMeter(game24_sim())
    request = ChatRequest(
        messages=(Message("user", "propose"),),
        intent=Intent(kind="propose", scenario="game24", state="4 9 10 13"),
    )
    await meter.complete(request)
    assert meter.totals.cost == 0.0
    assert meter.totals.tokens > 0


async def test_failed_and_cancelled_calls_cost_nothing(anyio_backend: Any) -> None:
    meter = UsageMeter(EchoLLM(ProviderError("no", status=400), latency=5.0), prices=PRICES)
    with pytest.raises(ProviderError):
        await meter.complete(ask("mystery-model"))
    with anyio.move_on_after(1.0):
        await meter.complete(ask("mystery-model"))
    assert meter.totals.cost == 0.0


async def test_cost_is_counted_per_agent_per_match_and_per_run(anyio_backend: Any) -> None:
    meter = UsageMeter(EchoLLM(latency=1.0), prices=PRICES)
    agents: dict[str, Any] = {}
    matches: dict[str, Any] = {}

    async def agent(match: str, seat: str, model: str, calls: int) -> None:
        with episode_scope(f"{match}/{seat}") as scope:
            agents[scope.episode] = scope
            async with anyio.create_task_group() as tg:
                for _ in range(calls):
                    tg.start_soon(meter.complete, ask(model))

    async def match(name: str) -> None:
        with episode_scope(name) as scope:
            matches[name] = scope
            async with anyio.create_task_group() as tg:
                tg.start_soon(agent, name, "X", "cheap", 2)
                tg.start_soon(agent, name, "O", "pricey", 1)

    async with anyio.create_task_group() as tg:
        tg.start_soon(match, "m1")
        tg.start_soon(match, "m2")
    cheap, pricey = (10 * 1.0 + 16 * 2.0) / 1e6, (10 * 10.0 + 16 * 40.0) / 1e6
    assert agents["m1/X"].calls.cost == pytest.approx(2 * cheap)
    assert agents["m2/O"].calls.cost == pytest.approx(pricey)
    assert matches["m1"].calls.cost == pytest.approx(2 * cheap + pricey)
    assert matches["m1"].calls.completed == 3
    assert meter.totals.cost == pytest.approx(2 * (2 * cheap + pricey))


async def test_cache_hits_count_as_calls_and_tokens_but_cost_nothing(
    anyio_backend: Any,
) -> None:
    provider = EchoLLM()
    async with MiddlewareStack(provider, cache=":memory:", prices=PRICES) as stack:
        for _ in range(3):
            await stack.complete(ask("pricey"))
    totals = stack.totals
    assert (totals.completed, totals.cached, provider.calls) == (3, 2, 1)
    assert totals.tokens == 3 * 26
    assert totals.cost == pytest.approx((10 * 10.0 + 16 * 40.0) / 1e6)


@pytest.mark.parametrize(
    ("costs", "total"),
    [([], 0.0), ([0.25, 0.5], 0.75), ([0.25, None, 0.5], None), ([None], None)],
)
def test_total_cost_is_unknown_as_soon_as_one_cost_is(
    costs: list[float | None], total: float | None
) -> None:
    assert total_cost(costs) == total
