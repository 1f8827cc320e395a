"""The LLM options, declared once, and how ``rafa`` reports the LLM a run used.

``rafa run``, ``rafa play`` (and its ``--replay``) and ``rafa providers``
take the fields of :class:`~rafa_async.app.LLMOptions` as options:
:func:`llm_options` adds them to a command and hands it an ``LLMOptions``.
Each option's parameter is named after its field (``record`` is
``--record-llm``), so an error naming a field is reported with the option
(see :mod:`rafa_async.cli._fields`).  What to build from them is the
application layer's (:func:`~rafa_async.app.resolve_llm`,
:func:`~rafa_async.app.open_llm`), as for any program.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer

from rafa_async._errors import ConfigError
from rafa_async._paths import STDOUT
from rafa_async._plural import plural
from rafa_async.app import LLMOptions, ResolvedLLM, resolve_llm
from rafa_async.cli._app import fail, given, out
from rafa_async.cli._options import Flag, option, option_group
from rafa_async.llm import DEFAULT_MAX_CONSECUTIVE_FAILURES, SIM_LABEL, MiddlewareStack

PROVIDER = "LLM provider"
P = ParamSpec("P")
R = TypeVar("R")


class TransportChoice(StrEnum):
    auto = "auto"
    aiohttp = "aiohttp"
    h11 = "h11"


def _option(kind: Any, help: str, *names: str, **extra: Any) -> Any:
    return Annotated[kind, option(help, PROVIDER, *names, **extra)]


LLM_FLAGS = (
    Flag(
        "provider",
        _option(
            str,
            "LLM as PROVIDER[:MODEL]: sim (the embedded SIMULATED LLM), openai:gpt-4o-mini, "
            "anthropic:MODEL, or a provider of rafa.toml (see `rafa providers`).",
        ),
        "sim",
    ),
    Flag(
        "config",
        _option(
            Path | None, "Provider config file (default: ./rafa.toml if there is one).", "--config"
        ),
        None,
    ),
    Flag("base_url", _option(str | None, "Override the provider's base URL."), None),
    Flag("max_concurrency", _option(int | None, "Override: LLM calls in flight at once."), None),
    Flag("rpm", _option(float | None, "Override: requests per minute."), None),
    Flag("tpm", _option(float | None, "Override: tokens per minute."), None),
    Flag(
        "max_consecutive_failures",
        _option(
            int | None,
            "Stop the run (provider unavailable) after this many LLM calls in a row failed "
            f"after their retries; 0 never stops [default: {DEFAULT_MAX_CONSECUTIVE_FAILURES}].",
            show_default=False,
        ),
        None,
    ),
    Flag(
        "send_intent",
        _option(
            bool | None,
            "Send each request's structured intent (for a `rafa sim-serve` endpoint).",
            "--send-intent/--no-send-intent",
            show_default=False,
        ),
        None,
    ),
    Flag(
        "cache",
        _option(
            Path | None, "Response cache (SQLite file): identical requests are answered from it."
        ),
        None,
    ),
    Flag(
        "record",
        _option(
            Path | None,
            "Record every LLM call to this cassette (JSON lines; no keys).",
            "--record-llm",
        ),
        None,
    ),
    Flag(
        "replay",
        _option(
            Path | None,
            "Answer every LLM call from this cassette: offline, no network, no key.",
            "--replay-llm",
        ),
        None,
    ),
    Flag(
        "stream",
        _option(bool, "Stream completions (measures time to first token); HTTP providers only."),
        False,
    ),
    Flag(
        "transport",
        _option(
            TransportChoice,
            "HTTP transport: auto (aiohttp on asyncio, h11 on trio), aiohttp (asyncio "
            "only) or h11 (an anyio-native pool, either backend).",
        ),
        TransportChoice.auto,
    ),
)
"""Every LLM option, in the order ``--help`` lists them."""

LLM_FIELDS = tuple(flag.name for flag in LLM_FLAGS)

LLM_OPTIONS = LLMOptions()
"""The default of a command's ``llm`` parameter, which :func:`llm_options`
replaces by the options themselves: ``llm: LLMOptions = LLM_OPTIONS``."""


def llm_options(*fields: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Give a command the LLM options of ``fields`` (default: all of them).

    The command declares a parameter ``llm: LLMOptions = LLM_OPTIONS``; in
    its place the command line gets one option per field, and the command
    is called with the :class:`LLMOptions` they make (a field left out keeps
    its default).
    """
    flags = [flag for flag in LLM_FLAGS if not fields or flag.name in fields]
    return option_group("llm", flags, _options)


def _options(values: dict[str, Any]) -> LLMOptions:
    """The options the command line gave (paths as text, choices as their value)."""
    for name, value in values.items():
        if isinstance(value, Path):
            values[name] = str(value)
        elif isinstance(value, StrEnum):
            values[name] = value.value
    return LLMOptions(**values)


def check_llm(options: LLMOptions, *, backend: str, uses_llm: bool = True) -> ResolvedLLM:
    """:func:`~rafa_async.app.resolve_llm`, before anything runs; one
    ``error:`` line (exit 2) naming the options if they are wrong.

    ``uses_llm``: whether anything will call the LLM; a provider's missing
    key is an error only then."""
    for field in ("cache", "record", "replay"):
        if getattr(options, field) == str(STDOUT):
            fail(ConfigError(f"{field} needs a file, not '-'", fields=(field,)))
    try:
        return resolve_llm(options, uses_llm=uses_llm, backend=backend)
    except ConfigError as error:
        fail(error)


def refuse_sim_options(context: typer.Context, llm: ResolvedLLM) -> None:
    """One ``error:`` line if an option of the in-process sim was given for
    another provider, where it would silently do nothing."""
    if given(context, "latency_scale") and llm.uses_llm and not llm.settings.simulated:
        fail(
            f"--latency-scale scales the in-process sim's latency; it does nothing for "
            f"provider {llm.label} (a rafa sim-serve endpoint takes its own --latency-scale)"
        )


def llm_caption(llm: ResolvedLLM) -> str:
    """How progress bars name the LLM."""
    return "simulated LLM" if llm.settings.simulated else llm.label


def print_llm_usage(stack: MiddlewareStack, llm: ResolvedLLM) -> None:
    """One line: calls, tokens, cache hits, cost; and the sim label if any
    answer was simulated (in process or through an HTTP endpoint)."""
    totals = stack.totals
    simulated = llm.settings.simulated
    if totals.simulated and not simulated:
        out.print(f"[bold yellow]{SIM_LABEL}[/] (answers came from a simulated endpoint)")
    cost = totals.cost
    if simulated or (totals.simulated and totals.simulated == totals.completed):
        cost_text = "none (simulated)"
    elif cost is None:
        cost_text = "unknown (a model without a price)"
    else:
        cost_text = f"${cost:.4f}"
    out.print(
        f"LLM {llm.label}: {plural(totals.completed, 'call')} completed, "
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
    record = llm.options.record
    if record is not None:
        out.print(f"cassette: {record} (replay with: --replay-llm {record})")
