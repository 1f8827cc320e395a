"""The LLM options ``rafa run`` and ``rafa play`` share, and building the LLM from them.

``--provider SPEC`` with ``--config``, ``--base-url``, ``--max-concurrency``,
``--rpm``, ``--tpm``, ``--max-consecutive-failures`` resolves to
:class:`~rafa_async.llm.ProviderSettings` (see ``rafa providers``);
``--cache``, ``--record-llm``, ``--replay-llm`` and ``--stream`` choose the
middleware.  :func:`open_llm` builds the provider and its
:class:`~rafa_async.llm.MiddlewareStack` inside the event loop and closes both
(files, connections) when the run ends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from rafa_async._errors import ConfigError
from rafa_async._events import EventRecorder
from rafa_async._plural import plural
from rafa_async.adapters.providers import make_provider, stack_options
from rafa_async.cli._app import fail, given, out
from rafa_async.cli._outputs import STDOUT, unwritable
from rafa_async.cli._providers import (
    PROVIDER,
    cli_provider_settings,
)
from rafa_async.llm import (
    LLM,
    SIM_LABEL,
    ChatRequest,
    ChatResponse,
    MiddlewareStack,
    ProviderSettings,
    TransportKind,
    http_identity,
    provider_identity,
)

ProviderOption = Annotated[
    str,
    typer.Option(
        help="LLM as PROVIDER[:MODEL]: sim (the embedded SIMULATED LLM), openai:gpt-4o-mini, "
        "anthropic:MODEL, or a provider of rafa.toml (see `rafa providers`).",
        rich_help_panel=PROVIDER,
    ),
]
CacheOption = Annotated[
    Path | None,
    typer.Option(
        help="Response cache (SQLite file): identical requests are answered from it.",
        rich_help_panel=PROVIDER,
    ),
]
RecordOption = Annotated[
    Path | None,
    typer.Option(
        "--record-llm",
        help="Record every LLM call to this cassette (JSON lines; no keys).",
        rich_help_panel=PROVIDER,
    ),
]
ReplayOption = Annotated[
    Path | None,
    typer.Option(
        "--replay-llm",
        help="Answer every LLM call from this cassette: offline, no network, no key.",
        rich_help_panel=PROVIDER,
    ),
]
StreamOption = Annotated[
    bool,
    typer.Option(
        help="Stream completions (measures time to first token); HTTP providers only.",
        rich_help_panel=PROVIDER,
    ),
]


class TransportChoice(StrEnum):
    auto = "auto"
    aiohttp = "aiohttp"
    h11 = "h11"


TransportOption = Annotated[
    TransportChoice,
    typer.Option(
        help="HTTP transport: auto (aiohttp on asyncio, h11 on trio), aiohttp (asyncio "
        "only) or h11 (an anyio-native pool, either backend).",
        rich_help_panel=PROVIDER,
    ),
]
SendIntentOption = Annotated[
    bool | None,
    typer.Option(
        "--send-intent/--no-send-intent",
        help="Send each request's structured intent (for a `rafa sim-serve` endpoint).",
        rich_help_panel=PROVIDER,
        show_default=False,
    ),
]


@dataclass(frozen=True, slots=True)
class LLMChoice:
    """What the command line chose: the provider's settings and the middleware."""

    settings: ProviderSettings
    cache: Path | None = None
    record: Path | None = None
    replay: Path | None = None
    stream: bool = False
    transport: TransportKind = "auto"
    uses_llm: bool = True
    """False when nothing will call the LLM (a series of fixed policies):
    the provider is then neither built nor asked for its key."""

    @property
    def label(self) -> str:
        """The provider as results and tables name it."""
        if self.settings.simulated:
            return "sim"
        return f"{self.settings.provider}:{self.settings.model}"


def choose_llm(
    provider: str,
    config: Path | None,
    *,
    base_url: str | None,
    max_concurrency: int | None,
    rpm: float | None,
    tpm: float | None,
    send_intent: bool | None,
    max_consecutive_failures: int | None = None,
    cache: Path | None,
    record: Path | None,
    replay: Path | None,
    stream: bool,
    transport: TransportChoice = TransportChoice.auto,
    backend: str = "trio",
    uses_llm: bool = True,
) -> LLMChoice:
    """Resolve the options; one ``error:`` line (exit 2) if any is wrong.

    ``uses_llm``: whether anything will call the LLM; a provider's missing
    key is an error only then."""
    _, settings = cli_provider_settings(
        provider,
        config,
        base_url=base_url,
        max_concurrency=max_concurrency,
        rpm=rpm,
        tpm=tpm,
        send_intent=send_intent,
        max_consecutive_failures=max_consecutive_failures,
    )
    if record is not None and replay is not None:
        fail("--record-llm and --replay-llm exclude each other: record once, then replay")
    for option, path in (("--cache", cache), ("--record-llm", record), ("--replay-llm", replay)):
        if path == STDOUT:
            fail(f"{option} needs a file, not '-'")
    problem = unwritable(record) if record is not None else ""
    if problem:
        fail(f"cannot write cassette {record}: {problem} (--record-llm)")
    if replay is not None and not replay.is_file():
        fail(f"--replay-llm {replay}: no such cassette file")
    if stream and settings.simulated:
        fail("--stream is for HTTP providers; the in-process sim does not stream")
    if transport is TransportChoice.aiohttp and backend != "asyncio":
        fail("--transport aiohttp runs only on asyncio: add --backend asyncio, or use h11")
    if replay is None and uses_llm:
        try:
            settings.api_key()  # a missing key is an input error: say so before starting
        except ConfigError as error:
            fail(error)
    return LLMChoice(
        settings,
        cache=cache,
        record=record,
        replay=replay,
        stream=stream,
        transport=transport.value,
        uses_llm=uses_llm,
    )


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
    choice: LLMChoice,
    *,
    sim: Callable[[], LLM],
    recorder: EventRecorder | None,
    seed: int,
) -> AsyncIterator[MiddlewareStack]:
    """The provider and its middleware; closed (files, connections) on exit."""
    settings = choice.settings
    async with AsyncExitStack() as stack:
        if choice.replay is not None or not choice.uses_llm:
            provider: LLM = _Offline(_identity(settings, sim))
        else:
            provider = make_provider(
                settings, sim=sim, stream=choice.stream, transport_kind=choice.transport
            )
            aclose = getattr(provider, "aclose", None)
            if aclose is not None:
                stack.push_async_callback(aclose)
        llm = MiddlewareStack(
            provider,
            **stack_options(settings, provider),
            retry_seed=seed,
            recorder=recorder,
            cache=choice.cache,
            record=choice.record,
            replay=choice.replay,
        )
        stack.push_async_callback(llm.aclose)
        yield llm


def refuse_sim_options(context: typer.Context, choice: LLMChoice) -> None:
    """One ``error:`` line if an option of the in-process sim was given for
    another provider, where it would silently do nothing."""
    if given(context, "latency_scale") and choice.uses_llm and not choice.settings.simulated:
        fail(
            f"--latency-scale scales the in-process sim's latency; it does nothing for "
            f"provider {choice.label} (a rafa sim-serve endpoint takes its own --latency-scale)"
        )


def llm_caption(choice: LLMChoice) -> str:
    """How progress bars name the LLM."""
    return "simulated LLM" if choice.settings.simulated else choice.label


def print_llm_usage(llm: MiddlewareStack, choice: LLMChoice) -> None:
    """One line: calls, tokens, cache hits, cost; and the sim label if any
    answer was simulated (in process or through an HTTP endpoint)."""
    totals = llm.totals
    if totals.simulated and not choice.settings.simulated:
        out.print(f"[bold yellow]{SIM_LABEL}[/] (answers came from a simulated endpoint)")
    cost = totals.cost
    if choice.settings.simulated or (totals.simulated and totals.simulated == totals.completed):
        cost_text = "none (simulated)"
    elif cost is None:
        cost_text = "unknown (a model without a price)"
    else:
        cost_text = f"${cost:.4f}"
    out.print(
        f"LLM {choice.label}: {plural(totals.completed, 'call')} completed, "
        f"{totals.failed} failed, "
        f"{totals.cancelled} cancelled · tokens {totals.prompt_tokens} in / "
        f"{totals.completion_tokens} out · cached {totals.cached} · cost {cost_text}",
        highlight=False,
    )
    if totals.mean_ttft is not None:
        out.print(
            f"streamed {plural(totals.streamed, 'call')} · mean time to first token "
            f"{1e3 * totals.mean_ttft:.1f} ms",
            highlight=False,
        )
    if choice.record is not None:
        out.print(f"cassette: {choice.record} (replay with: --replay-llm {choice.record})")
