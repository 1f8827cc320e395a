"""``rafa providers``: what ``--provider`` means, from rafa.toml and the command line.

It takes the options of ``rafa run`` and ``rafa play`` that decide a
provider's settings (``--config``, ``--base-url``, ``--max-concurrency``,
``--rpm``, ``--tpm``, ``--max-consecutive-failures``) and resolves them as
a run does (:class:`~rafa_async.app.LLMOptions`).
"""

from __future__ import annotations

import os
from typing import Annotated

import msgspec
import typer
from rich.markup import escape
from rich.table import Table

from rafa_async._errors import ConfigError
from rafa_async.adapters.providers import price_table
from rafa_async.app import LLMOptions
from rafa_async.cli._app import app, fail, out, start_logging
from rafa_async.cli._llm import LLM_OPTIONS, PROVIDER, llm_options
from rafa_async.cli._options import LogFormat
from rafa_async.llm import (
    SIM_LABEL,
    ProviderSettings,
    ProviderSpec,
    RafaConfig,
    resolve_provider,
)

SETTINGS = ("config", "base_url", "max_concurrency", "rpm", "tpm", "max_consecutive_failures")
"""The LLM options that decide a provider's settings (the rest choose the middleware)."""


def _key_status(variable: str | None) -> str:
    """Whether the key's variable is set; never the key."""
    if variable is None:
        return "none sent"
    return f"{variable} ({'set' if os.environ.get(variable) else 'NOT SET'})"


def _limit(value: float | None) -> str:
    return "no limit" if value is None else f"{value:g}"


def _stop_after(failures: int) -> str:
    if not failures:
        return "never (max_consecutive_failures 0)"
    return f"{failures} failed calls in a row (max_consecutive_failures)"


def _price_text(settings: ProviderSettings) -> str:
    """The price a run would charge, from the same table the run uses
    (:func:`~rafa_async.adapters.providers.price_table`), and where it comes from."""
    table = price_table(settings)
    if table is None:
        return "free (simulated)"
    price = table.lookup(settings.model)
    if price is None:
        return "unknown (add a [models] table)"
    if settings.input_per_mtok is not None:
        origin = settings.config_path or "the configuration"
    else:
        origin = f"built-in table as of {table.as_of}"
    return f"${price.input:g} in / ${price.output:g} out per Mtok ({origin})"


def _print_settings(settings: ProviderSettings) -> None:
    title = f"--provider {settings.provider}:{settings.model}"
    if settings.simulated:
        title += " · [bold yellow]SIMULATED LLM[/]"
    table = Table(title=title, title_justify="left")
    table.add_column("setting")
    table.add_column("value")
    rows = [
        ("kind", settings.kind),
        ("base url", settings.base_url or "in process"),
        ("api key", _key_status(settings.api_key_env)),
        ("max concurrency", str(settings.max_concurrency)),
        ("rpm", _limit(settings.rpm)),
        ("tpm", _limit(settings.tpm)),
        ("timeout", f"{settings.timeout:g} s"),
        ("stop after", _stop_after(settings.max_consecutive_failures)),
        ("prices", _price_text(settings)),
        ("config", settings.config_path or "none (built-in defaults)"),
    ]
    for name, value in rows:
        table.add_row(name, escape(value))
    out.print(table)
    if settings.simulated:
        out.print(f"[bold yellow]{SIM_LABEL}[/]")


def _with_default_model(name: str, config: RafaConfig) -> tuple[ProviderSettings, str]:
    try:
        settings = resolve_provider(name, config)
        return settings, settings.model
    except ConfigError:  # no default model: a spec must name one
        return resolve_provider(ProviderSpec(name, "?"), config), f"none (use {name}:MODEL)"


def _print_config(config: RafaConfig) -> None:
    table = Table(
        title=f"providers ({config.path or 'built-in; no rafa.toml'})", title_justify="left"
    )
    for column in ("provider", "kind", "base url", "api key", "default model"):
        table.add_column(column)
    for name in config.provider_names:
        settings, model = _with_default_model(name, config)
        table.add_row(
            name,
            settings.kind,
            settings.base_url or "in process",
            _key_status(settings.api_key_env),
            model,
        )
    out.print(table)
    if config.models:
        models = Table(title="models", title_justify="left")
        for column in ("model", "provider", "$ per Mtok in", "$ per Mtok out"):
            models.add_column(column)
        for model, entry in sorted(config.models.items()):
            models.add_row(
                model, entry.provider, f"{entry.input_per_mtok:g}", f"{entry.output_per_mtok:g}"
            )
        out.print(models)


@app.command()
@llm_options(*SETTINGS)
def providers(
    provider: Annotated[
        str | None,
        typer.Option(
            help="Show what PROVIDER[:MODEL] resolves to (default: list every provider).",
            rich_help_panel=PROVIDER,
        ),
    ] = None,
    llm: LLMOptions = LLM_OPTIONS,
) -> None:
    """List the LLM providers, or show what a --provider resolves to.

    Providers are built in (openai, anthropic, sim) or defined in rafa.toml.
    Keys are never shown: only whether their environment variable is set.

    Example: rafa providers --provider openai:gpt-4o-mini --rpm 100
    """
    start_logging(LogFormat.console, "warning")
    options = msgspec.structs.replace(llm, provider=provider or "sim")
    try:
        loaded = options.load_config()
        settings = options.provider_settings(loaded)
    except ConfigError as error:
        fail(error)
    if provider is None:
        _print_config(loaded)
    else:
        _print_settings(settings)
