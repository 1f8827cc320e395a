"""From resolved :class:`~rafa_async.llm.ProviderSettings` to an LLM.

``rafa run`` and ``rafa play`` (and any program) turn a ``--provider`` spec
into settings (:func:`rafa_async.llm.provider_settings`), then build the
provider here and its middleware from the same settings::

    settings = provider_settings("openai:gpt-4o-mini")
    provider = make_provider(settings, sim=lambda: my_sim)
    async with MiddlewareStack(provider, **stack_options(settings, provider)) as llm:
        ...

The adapters read the API key from the variable the settings name, when
they are built; nothing here holds or logs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rafa_async.llm import (
    DEFAULT_PRICES,
    LLM,
    HttpTransport,
    ModelPrice,
    PriceTable,
    ProviderFactory,
    ProviderSettings,
    Timeouts,
    provider_kind,
)
from rafa_async.llm.http import TransportKind

__all__ = ["make_provider", "price_table", "stack_options"]

if TYPE_CHECKING:
    # The adapters the provider-kind table names, checked against the
    # signature make_provider calls them with.
    from rafa_async.adapters.anthropic import AnthropicChat
    from rafa_async.adapters.openai import OpenAIChat

    _FACTORIES: tuple[ProviderFactory, ...] = (OpenAIChat, AnthropicChat)


def make_provider(
    settings: ProviderSettings,
    *,
    sim: Callable[[], LLM],
    stream: bool = False,
    transport: HttpTransport | None = None,
    transport_kind: TransportKind = "auto",
) -> LLM:
    """The provider ``settings`` describe, built by its kind's adapter (see
    :data:`~rafa_async.llm.PROVIDER_KINDS`); ``sim()`` builds the in-process
    simulated LLM for a kind that runs in process (it depends on the scenario).

    ``stream`` makes every call a streamed one (so each response carries its
    time to first token).  ``transport_kind`` picks the HTTP transport the
    adapter makes (``auto``: aiohttp on asyncio, h11 on trio).  Raises
    :class:`~rafa_async.ConfigError` naming the variable if the provider needs
    a key and it is not set, and for a kind that is not in the table.
    """
    kind = provider_kind(settings.kind)
    if kind.in_process:
        return sim()
    settings.api_key()  # fail now, naming the variable, rather than on the first call
    assert settings.base_url is not None  # resolve_provider gives every HTTP provider one
    factory = kind.factory()
    return factory(
        name=settings.provider,
        model=settings.model,
        base_url=settings.base_url,
        api_key_env=settings.api_key_env,
        extra_headers=settings.headers,
        transport=transport,
        transport_kind=transport_kind,
        # One connection per call in flight: fewer would queue calls for a socket.
        max_connections=settings.max_concurrency,
        # The transport bounds each attempt (what the Timeout middleware would
        # do, for ~16-20 us less a call): see stack_options.
        timeouts=Timeouts(total=settings.timeout),
        send_intent=settings.send_intent,
        stream_completions=stream,
    )


def price_table(settings: ProviderSettings) -> PriceTable | None:
    """The prices that cost this provider's calls: the config's for its model
    (``[models."NAME"]``) over the built-in table; ``None`` for the sim."""
    if settings.simulated:
        return None
    if settings.input_per_mtok is None or settings.output_per_mtok is None:
        return DEFAULT_PRICES
    own = ModelPrice(input=settings.input_per_mtok, output=settings.output_per_mtok)
    source = settings.config_path or "the configuration"
    return DEFAULT_PRICES.merged(
        PriceTable(as_of=DEFAULT_PRICES.as_of, models={settings.model: own}, source=source)
    )


def stack_options(settings: ProviderSettings, provider: LLM) -> dict[str, Any]:
    """``MiddlewareStack`` keyword arguments for ``provider`` from ``settings``:
    concurrency, timeout, rate limits, prices and the circuit breaker.  A provider whose own
    transport bounds each attempt (``bounds_each_attempt``, see
    :func:`make_provider`) gets no ``Timeout`` layer on top."""
    bounded = getattr(provider, "bounds_each_attempt", False)
    return {
        "max_concurrency": settings.max_concurrency,
        "timeout": None if bounded else settings.timeout,
        "rpm": settings.rpm,
        "tpm": settings.tpm,
        "prices": price_table(settings),
        "max_consecutive_failures": settings.max_consecutive_failures,
    }
