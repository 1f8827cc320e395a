"""From resolved settings to a provider and its middleware (adapters/providers.py)."""

from __future__ import annotations

import msgspec
import pytest
from support import EchoLLM

from rafa_async import ConfigError
from rafa_async.adapters.anthropic import AnthropicChat
from rafa_async.adapters.openai import OpenAIChat
from rafa_async.adapters.providers import make_provider, price_table, stack_options
from rafa_async.llm import (
    DEFAULT_PRICES,
    MiddlewareStack,
    ProviderOverrides,
    Usage,
    resolve_provider,
)


def test_the_sim_kind_builds_the_given_sim() -> None:
    sim = EchoLLM()
    settings = resolve_provider("sim")
    assert make_provider(settings, sim=lambda: sim) is sim
    assert price_table(settings) is None
    assert stack_options(settings, sim)["timeout"] == settings.timeout


def test_an_http_provider_gets_a_pool_as_large_as_its_concurrency_and_bounds_attempts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = resolve_provider(
        "openai:gpt-4o-mini", overrides=ProviderOverrides(max_concurrency=200, rpm=60)
    )
    provider = make_provider(settings, sim=EchoLLM, stream=True, transport_kind="h11")
    assert isinstance(provider, OpenAIChat)
    assert provider._max_connections == 200
    assert provider._transport_kind == "h11"
    assert provider.stream_completions
    assert provider.bounds_each_attempt
    options = stack_options(settings, provider)
    assert options["timeout"] is None  # the transport bounds each attempt
    assert (options["max_concurrency"], options["rpm"]) == (200, 60)


@pytest.mark.parametrize("failures", [None, 0, 3])
def test_the_stack_gets_the_settings_circuit_breaker(failures: int | None) -> None:
    overrides = ProviderOverrides(max_consecutive_failures=failures)
    settings = resolve_provider("sim", overrides=overrides)
    stack = MiddlewareStack(EchoLLM(), **stack_options(settings, EchoLLM()))
    expected = 10 if failures is None else failures
    assert settings.max_consecutive_failures == expected
    assert (stack.breaker.max_failures if stack.breaker else 0) == expected


def test_an_anthropic_provider_is_built_for_the_anthropic_kind(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    provider = make_provider(resolve_provider("anthropic:claude-3-5-haiku-latest"), sim=EchoLLM)
    assert isinstance(provider, AnthropicChat)


def test_a_missing_key_is_reported_when_the_provider_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        make_provider(resolve_provider("openai:gpt-4o-mini"), sim=EchoLLM)


def test_config_prices_override_the_built_in_table() -> None:
    builtin = price_table(resolve_provider("openai:gpt-4o-mini"))
    assert builtin is DEFAULT_PRICES
    settings = resolve_provider("openai:gpt-4o-mini")
    priced = price_table(msgspec.structs.replace(settings, input_per_mtok=1.0, output_per_mtok=2.0))
    assert priced is not None
    assert priced.cost("gpt-4o-mini", Usage(1_000_000, 1_000_000)) == pytest.approx(3.0)
    assert priced.cost("gpt-4o", Usage(1_000_000, 0)) == DEFAULT_PRICES.cost(
        "gpt-4o", Usage(1_000_000, 0)
    )
