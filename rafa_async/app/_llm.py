"""The LLM a run calls through, built from options: one way for rafa and programs.

:class:`LLMOptions` holds what ``rafa run`` and ``rafa play`` take as LLM
options: the provider spec and its config file, the overrides of its
settings, and the middleware (cache, cassettes, streaming, transport).
:func:`resolve_llm` checks them without building anything (a program, or
the CLI before a run starts, learns every input error at once), and
:func:`open_llm` builds the provider and its
:class:`~rafa_async.llm.MiddlewareStack` inside the event loop, closing both
(files, connections) on exit::

    async with open_llm(LLMOptions(provider="openai:gpt-4o-mini", rpm=500)) as llm:
        records, summary = await run_benchmark(config, llm=llm)

Errors are :class:`~rafa_async.ConfigError` naming the options' fields
(``max_concurrency must be >= 1``); a front end says them its own way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import sniffio

from rafa_async._errors import ConfigError
from rafa_async._events import EventRecorder
from rafa_async._paths import unwritable
from rafa_async.adapters.providers import make_provider, stack_options
from rafa_async.llm import (
    LLM,
    ChatRequest,
    ChatResponse,
    MiddlewareStack,
    ProviderOverrides,
    ProviderSettings,
    RafaConfig,
    TransportKind,
    http_identity,
    load_config,
    provider_identity,
    resolve_provider,
)
from rafa_async.scenarios import simulated_llm


class LLMOptions(ProviderOverrides, frozen=True, kw_only=True):
    """How to reach the LLM and what to put around it.

    The provider's settings come from ``provider`` (``PROVIDER[:MODEL]``), the
    ``config`` file and the built-in provider kinds; the overrides these
    options are (:class:`~rafa_async.llm.ProviderOverrides`: ``base_url``,
    ``max_concurrency``, ``rpm``, ``tpm``, ``timeout``, ``send_intent``,
    ``max_consecutive_failures``; ``None`` leaves a setting alone) win over
    both.  The rest chooses the middleware.  The defaults are the in-process
    SIMULATED LLM.
    """

    provider: str = "sim"
    """``sim`` (the embedded simulated LLM), ``openai:MODEL``,
    ``anthropic:MODEL``, or a provider of the config file."""
    config: str | None = None
    """The provider config file (``None``: ``./rafa.toml`` if there is one)."""
    cache: str | None = None
    """A response cache (SQLite file): identical requests are answered from it."""
    record: str | None = None
    """Record every call to this new cassette."""
    replay: str | None = None
    """Answer every call from this cassette: offline, no key."""
    stream: bool = False
    """Stream completions (HTTP providers only): measures time to first token."""
    transport: TransportKind = "auto"
    """The HTTP transport: ``auto`` (aiohttp on asyncio, h11 on trio), ``aiohttp`` or ``h11``."""

    def load_config(self) -> RafaConfig:
        """The provider config (:attr:`config`, else ``./rafa.toml`` if there is one)."""
        return load_config(self.config)

    def provider_settings(self, config: RafaConfig | None = None) -> ProviderSettings:
        """What :attr:`provider` resolves to, with these overrides, in ``config``
        (default: :meth:`load_config`)."""
        loaded = config if config is not None else self.load_config()
        return resolve_provider(self.provider, loaded, self)


@dataclass(frozen=True, slots=True)
class ResolvedLLM:
    """Options checked, and the provider settings they resolve to."""

    options: LLMOptions
    settings: ProviderSettings
    uses_llm: bool = True
    """False when nothing will call the LLM: the provider is then neither
    built nor asked for its key."""

    @property
    def label(self) -> str:
        """The provider as results and tables name it: ``sim``, or ``PROVIDER:MODEL``."""
        return llm_label(self.settings)


def llm_label(settings: ProviderSettings) -> str:
    """``sim`` for the simulated LLM, else ``PROVIDER:MODEL``."""
    return "sim" if settings.simulated else f"{settings.provider}:{settings.model}"


def resolve_llm(
    options: LLMOptions, *, uses_llm: bool = True, backend: str | None = None
) -> ResolvedLLM:
    """Check ``options`` and resolve the provider's settings, building nothing.

    :class:`ConfigError` naming the fields if the options contradict one
    another (``record`` and ``replay``; ``stream`` with the in-process sim;
    ``transport`` aiohttp on a ``backend`` other than asyncio), a cassette to
    record cannot be written or one to replay does not exist, or -- when
    anything will call the LLM (``uses_llm``) and no cassette answers for it
    -- the provider's key is not set.
    """
    settings = options.provider_settings()
    if options.record is not None and options.replay is not None:
        raise ConfigError(
            "record and replay exclude each other: make the cassette once, then answer from it",
            fields=("record", "replay"),
        )
    problem = unwritable(Path(options.record)) if options.record is not None else ""
    if problem:
        raise ConfigError(
            f"cannot write cassette {options.record}: {problem} (record)", fields=("record",)
        )
    if options.replay is not None and not Path(options.replay).is_file():
        raise ConfigError(f"replay {options.replay}: no such cassette file", fields=("replay",))
    if options.stream and settings.simulated:
        raise ConfigError(
            "stream is for HTTP providers; the in-process sim answers all at once",
            fields=("stream",),
        )
    if options.transport == "aiohttp" and backend not in (None, "asyncio"):
        raise ConfigError(
            "transport aiohttp runs only on asyncio: run on backend asyncio, or use h11",
            fields=("transport", "backend"),
        )
    if options.replay is None and uses_llm:
        settings.api_key()  # a missing key is an input error: say so before starting
    return ResolvedLLM(options, settings, uses_llm)


class _Offline:
    """The provider behind a cassette replay, or a run that makes no LLM
    call: never called (a Replayer answers everything), so it needs no key
    and no network.  ``identity`` is the chosen provider's, which a cassette
    must have been recorded from."""

    def __init__(self, identity: str) -> None:
        self.identity = identity

    async def complete(self, request: ChatRequest) -> ChatResponse:
        raise ConfigError("no provider is called (a cassette replay, or no LLM player)")


def _identity(settings: ProviderSettings, sim: Callable[[], LLM]) -> str:
    """The identity of the provider ``settings`` choose, without building it
    (an HTTP provider would need its key)."""
    if settings.base_url is None:
        return provider_identity(sim())
    return http_identity(settings.provider, settings.model, settings.base_url)


@asynccontextmanager
async def open_llm(
    options: LLMOptions | None = None,
    *,
    sim: Callable[[], LLM] | None = None,
    provider: LLM | None = None,
    recorder: EventRecorder | None = None,
    seed: int = 0,
    uses_llm: bool = True,
) -> AsyncIterator[MiddlewareStack]:
    """The provider ``options`` name in the standard middleware, shared by
    every agent and match of a run; closed (files, connections) on exit.

    Checks the options first (:func:`resolve_llm`, on this event loop's
    backend).  ``sim()`` builds the in-process simulated LLM when the
    provider is the sim (default: the sim of every scenario, seeded
    ``seed``).  ``provider``: an LLM already built, put in the middleware
    instead of the one ``options`` name (its owner closes it).  ``seed``
    seeds the retries' jitter.  ``uses_llm=False``: nothing will call the
    LLM, so no provider is built and no key is needed.  Cancelling the
    caller cancels every call in flight.
    """
    options = options if options is not None else LLMOptions()
    resolved = resolve_llm(options, uses_llm=uses_llm, backend=_backend())
    settings = resolved.settings
    make_sim = sim if sim is not None else lambda: simulated_llm(seed=seed)
    async with AsyncExitStack() as stack:
        if provider is not None:
            llm = provider
        elif options.replay is not None or not uses_llm:
            llm = _Offline(_identity(settings, make_sim))
        else:
            llm = make_provider(
                settings, sim=make_sim, stream=options.stream, transport_kind=options.transport
            )
            aclose = getattr(llm, "aclose", None)
            if aclose is not None:
                stack.push_async_callback(aclose)
        middleware = MiddlewareStack(
            llm,
            **stack_options(settings, llm),
            retry_seed=seed,
            recorder=recorder,
            cache=options.cache,
            record=options.record,
            replay=options.replay,
        )
        stack.push_async_callback(middleware.aclose)
        yield middleware


@asynccontextmanager
async def run_llm(
    llm: LLM | None,
    options: LLMOptions,
    *,
    provider: str,
    sim: Callable[[], LLM],
    recorder: EventRecorder | None,
    seed: int,
) -> AsyncIterator[MiddlewareStack]:
    """The stack a run (:func:`~rafa_async.app.run_benchmark`,
    :func:`~rafa_async.app.play_series`) calls through, given its ``llm=``:
    a :class:`MiddlewareStack` as it is (its owner configured it); any other
    LLM in :func:`open_llm`'s middleware; ``None``: :func:`open_llm` of
    ``options``, only for a run whose ``provider`` is the sim (a real one
    needs settings and a key: open it with :func:`open_llm` and pass it)."""
    if isinstance(llm, MiddlewareStack):
        yield llm
        return
    if llm is None and provider != "sim":
        raise ConfigError(
            f"provider {provider!r} is not the in-process sim: open it and pass it as llm=, "
            f"e.g. open_llm(LLMOptions(provider={provider!r}))"
        )
    async with open_llm(options, sim=sim, provider=llm, recorder=recorder, seed=seed) as stack:
        yield stack


def _backend() -> str | None:
    try:
        return sniffio.current_async_library()
    except sniffio.AsyncLibraryNotFoundError:
        return None
