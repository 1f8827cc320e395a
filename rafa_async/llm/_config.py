"""Provider configuration: ``rafa.toml``, the ``--provider`` spec and CLI overrides.

A run names its LLM as ``PROVIDER[:MODEL]`` (``sim``, ``openai:gpt-4o-mini``,
``local:llama3:8b``).  What that means comes from three layers, highest first:

1. the CLI overrides (``--base-url``, ``--max-concurrency``, ``--rpm``,
   ``--tpm``, ``--max-consecutive-failures``), as :class:`ProviderOverrides`;
2. the config file (``--config PATH``, else ``./rafa.toml`` if present): named
   ``[providers.NAME]`` and ``[models."MODEL"]`` tables;
3. defaults: the provider kinds (``openai``, ``anthropic``, ``sim``, ...:
   see :data:`~rafa_async.llm.PROVIDER_KINDS`), each usable as a provider
   without any file, with its official endpoint.

The result is one frozen :class:`ProviderSettings`.

API keys come only from environment variables: the file names the variable
(``api_key_env``) and :meth:`ProviderSettings.api_key` reads it when called,
so no key is ever held in a settings object, its repr, a log line or a trace.
A file that writes a key itself (``api_key = "..."``, an ``Authorization``
header) is rejected.  A kind's default variable (``OPENAI_API_KEY``,
``ANTHROPIC_API_KEY``) is used only with that kind's official endpoint, so a
key is never sent to another server unless its variable is named explicitly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, TypeVar

import msgspec
import structlog

from rafa_async._errors import ConfigError
from rafa_async._logging import logging_configured
from rafa_async._validation import split_validation_error
from rafa_async.llm._endpoint import check_api_key_env, check_base_url
from rafa_async.llm._providers import (
    DEFAULT_MAX_CONCURRENCY,
    PROVIDER_KINDS,
    ProviderKind,
    provider_kind,
)
from rafa_async.llm.middleware import DEFAULT_MAX_CONSECUTIVE_FAILURES

log = structlog.get_logger("rafa_async.llm.config")

CONFIG_FILENAME = "rafa.toml"
DEFAULT_TIMEOUT = 60.0

_S = TypeVar("_S", bound=msgspec.Struct)
_Positive = Annotated[float, msgspec.Meta(gt=0)]
_Price = Annotated[float, msgspec.Meta(ge=0)]


class ProviderEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One ``[providers.NAME]`` table.  Unset fields fall back to the defaults.

    ``kind`` names an entry of :data:`~rafa_async.llm.PROVIDER_KINDS`; it may
    be left out when the provider's name is itself a kind (``[providers.openai]``).
    ``model`` is the model used when the spec names none.
    """

    kind: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    model: str | None = None
    max_concurrency: Annotated[int, msgspec.Meta(ge=1)] | None = None
    rpm: _Positive | None = None
    tpm: _Positive | None = None
    timeout: _Positive | None = None
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    send_intent: bool | None = None
    max_consecutive_failures: Annotated[int, msgspec.Meta(ge=0)] | None = None


class ModelEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One ``[models."MODEL"]`` table: which provider serves it, and its
    prices in dollars per million tokens."""

    provider: str
    input_per_mtok: _Price = 0.0
    output_per_mtok: _Price = 0.0


class _Tables(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # Entries are converted one by one, so an error can name the entry (msgspec
    # writes a dict key in an error path as ``[...]``).
    providers: dict[str, Any] = msgspec.field(default_factory=dict)
    models: dict[str, Any] = msgspec.field(default_factory=dict)


class RafaConfig(msgspec.Struct, frozen=True, kw_only=True):
    """A validated configuration.  ``path`` is the file it came from (``None``:
    no file, only the built-in providers)."""

    path: str | None = None
    providers: dict[str, ProviderEntry] = msgspec.field(default_factory=dict)
    models: dict[str, ModelEntry] = msgspec.field(default_factory=dict)

    @property
    def provider_names(self) -> list[str]:
        """Every provider a spec may name: the kinds and the file's."""
        return sorted({*PROVIDER_KINDS, *self.providers})


class ProviderSpec(msgspec.Struct, frozen=True):
    """A parsed ``--provider PROVIDER[:MODEL]``."""

    provider: str
    model: str | None = None


class ProviderOverrides(msgspec.Struct, frozen=True, kw_only=True):
    """Command-line values that win over the file; ``None`` leaves a value alone."""

    base_url: str | None = None
    max_concurrency: int | None = None
    rpm: float | None = None
    tpm: float | None = None
    timeout: float | None = None
    send_intent: bool | None = None
    max_consecutive_failures: int | None = None


class ProviderSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything an adapter and its middleware need for one provider and model.

    Holds no secret: ``api_key_env`` is the *name* of the variable holding
    the key, read by :meth:`api_key` at the moment a client needs it.
    ``base_url`` is ``None`` for the in-process sim.  Prices (dollars per
    million tokens) are ``None`` when the config gives none for this model.
    """

    provider: str
    kind: str
    """The provider's kind, a name in :data:`~rafa_async.llm.PROVIDER_KINDS`."""
    model: str
    base_url: str | None = None
    api_key_env: str | None = None
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    rpm: float | None = None
    tpm: float | None = None
    timeout: float = DEFAULT_TIMEOUT
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    send_intent: bool = False
    """Send each request's structured intent (field ``rafa_intent``): for a
    ``rafa sim-serve`` endpoint, which answers from it."""
    input_per_mtok: float | None = None
    output_per_mtok: float | None = None
    config_path: str | None = None
    max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES
    """Calls failing in a row, after their retries, that stop the run with
    ``ProviderUnavailable`` (the stack's circuit breaker); 0: never."""

    @property
    def simulated(self) -> bool:
        """Whether the answers are the simulated LLM's (the kind says)."""
        return provider_kind(self.kind).simulated

    def api_key(self) -> str | None:
        """The API key from the environment (``None`` if this provider needs
        none).  Raises :class:`ConfigError` naming the variable if it is unset."""
        if self.api_key_env is None:
            return None
        key = os.environ.get(self.api_key_env, "")
        if not key:
            raise ConfigError(
                f"provider {self.provider!r} needs an API key in the environment variable "
                f"{self.api_key_env}, which is not set: export {self.api_key_env}=... "
                "(rafa reads keys only from the environment)"
            )
        return key


_SIM_SERVE_HINT = (
    ' (to use `rafa sim-serve`, make a provider with kind = "openai" and '
    'base_url = "http://127.0.0.1:8000/v1")'
)
_SIM_SERVE_OVERRIDE_HINT = (
    " (for a `rafa sim-serve` endpoint, use provider openai:sim with base_url "
    "http://127.0.0.1:8000/v1)"
)
_SECRET_NAME = re.compile(
    r"(?:^|_)(?:api_?key|key|secret|token|password|passwd|auth|authorization|bearer|"
    r"credentials?|cookie)$"
)
_UNKNOWN_FIELD = re.compile(r"^Object contains unknown field `(?P<field>.*)`$")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _looks_secret(name: str) -> bool:
    return bool(_SECRET_NAME.search(name.lower().replace("-", "_")))


def _secret_fields(table: Mapping[str, Any], path: tuple[str, ...] = ()) -> Iterator[str]:
    """Dotted paths of keys that look like they hold a credential (``api_key``,
    ``secret``, an ``Authorization`` header...).  The names of providers and
    models (``providers.turnkey``) are the user's, not fields."""
    for key, value in table.items():
        here = (*path, key)
        is_entry_name = len(path) == 1 and path[0] in ("providers", "models")
        if not is_entry_name and _looks_secret(key):
            yield ".".join(here)
        if isinstance(value, Mapping):
            yield from _secret_fields(value, here)


def _no_keys_here(where: str, field: str) -> ConfigError:
    return ConfigError(
        f"{where}: {field}: API keys must not be written in a config file. Put the key in an "
        'environment variable and name the variable instead, e.g. api_key_env = "OPENAI_API_KEY"'
    )


def _toml_key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else msgspec.json.encode(name).decode()


def _convert(value: Any, struct: type[_S], where: str, table: str) -> _S:
    """``value`` as ``struct``; errors name the file, the key and what is wrong."""
    try:
        return msgspec.convert(value, struct)
    except msgspec.ValidationError as error:
        what, path = split_validation_error(error)
        what = what.replace(" | null`", "`")  # TOML has no null: the key is simply left out
        key = ".".join(p for p in (table, path) if p)
        unknown = _UNKNOWN_FIELD.match(what)
        if unknown is not None:
            where_in = f"[{table}]" if table else "the top level"
            raise ConfigError(
                f"{where}: unknown key {unknown['field']!r} in {where_in} "
                f"(valid keys: {', '.join(struct.__struct_fields__)})"
            ) from None
        raise ConfigError(f"{where}: {key}: {what}" if key else f"{where}: {what}") from None


def _kind_of(name: str, entry: ProviderEntry) -> str | None:
    """The kind a ``[providers.NAME]`` entry names, or its own name if that is
    a kind; ``None`` if neither."""
    if entry.kind is not None:
        return entry.kind
    return name if name in PROVIDER_KINDS else None


def _check_provider(name: str, entry: ProviderEntry, where: str) -> None:
    here = f"{where}: providers.{_toml_key(name)}"
    kind_name = _kind_of(name, entry)
    if kind_name is None:
        raise ConfigError(f"{here}.kind is required ({', '.join(PROVIDER_KINDS)})")
    kind = PROVIDER_KINDS.get(kind_name)
    if kind is None:
        raise ConfigError(
            f"{here}.kind: unknown kind {kind_name!r} (known: {', '.join(PROVIDER_KINDS)})"
        )
    if kind.in_process:
        for field in ("base_url", "api_key_env"):
            if getattr(entry, field) is not None:
                raise ConfigError(
                    f"{here}.{field}: a {kind_name} provider runs in process and takes no "
                    f"{field}{_SIM_SERVE_HINT if kind.simulated else ''}"
                )
    if entry.base_url is not None:
        check_base_url(entry.base_url, f"{here}.base_url")
    if entry.api_key_env is not None:
        check_api_key_env(entry.api_key_env, f"{here}.api_key_env")


def parse_config(data: bytes | str, *, source: str = CONFIG_FILENAME) -> RafaConfig:
    """Decode and validate a config file's text; every error names ``source``,
    the key and what is wrong."""
    try:
        raw = msgspec.toml.decode(data)
    except msgspec.DecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None
    for field in _secret_fields(raw):
        raise _no_keys_here(source, field)
    tables = _convert(raw, _Tables, source, "")
    providers = {
        name: _convert(entry, ProviderEntry, source, f"providers.{_toml_key(name)}")
        for name, entry in tables.providers.items()
    }
    models = {
        name: _convert(entry, ModelEntry, source, f"models.{_toml_key(name)}")
        for name, entry in tables.models.items()
    }
    for name, provider in providers.items():
        _check_provider(name, provider, source)
    known = {*PROVIDER_KINDS, *providers}
    for name, model in models.items():
        if model.provider not in known:
            raise ConfigError(
                f"{source}: models.{_toml_key(name)}.provider: unknown provider "
                f"{model.provider!r} (known: {', '.join(sorted(known))})"
            )
    return RafaConfig(path=source, providers=providers, models=models)


def load_config(
    path: str | os.PathLike[str] | None = None, *, cwd: str | os.PathLike[str] | None = None
) -> RafaConfig:
    """The config at ``path`` (``--config``), else ``rafa.toml`` in ``cwd``
    (default: the working directory) if there is one, else the built-ins only.

    A ``path`` that does not exist is an error; a missing ``./rafa.toml`` is not.
    """
    file = Path(path) if path is not None else Path(cwd or Path.cwd()) / CONFIG_FILENAME
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        if path is None:
            return RafaConfig()
        raise ConfigError(f"config file {file} not found") from None
    except OSError as error:
        raise ConfigError(f"cannot read config file {file}: {error.strerror}") from None
    return parse_config(data, source=str(file))


def parse_provider_spec(spec: str) -> ProviderSpec:
    """``PROVIDER[:MODEL]``; the model is everything after the first colon, so
    ``local:llama3:8b`` is provider ``local``, model ``llama3:8b``."""
    name, colon, model = spec.strip().partition(":")
    if not name or (colon and not model):
        raise ConfigError(
            f"bad provider spec {spec!r}: use PROVIDER or PROVIDER:MODEL, e.g. openai:gpt-4o-mini"
        )
    return ProviderSpec(name, model or None)


def _check_overrides(overrides: ProviderOverrides) -> None:
    """Messages name the field (``max_concurrency``); a CLI names its own option."""
    if overrides.base_url is not None:
        check_base_url(overrides.base_url, "base_url")
    if overrides.max_concurrency is not None and overrides.max_concurrency < 1:
        raise ConfigError(
            f"max_concurrency must be >= 1, got {overrides.max_concurrency}",
            fields=("max_concurrency",),
        )
    failures = overrides.max_consecutive_failures
    if failures is not None and failures < 0:
        raise ConfigError(
            f"max_consecutive_failures must be >= 0 (0: never stop), got {failures}",
            fields=("max_consecutive_failures",),
        )
    for field, value in (
        ("rpm", overrides.rpm),
        ("tpm", overrides.tpm),
        ("timeout", overrides.timeout),
    ):
        if value is not None and not value > 0:
            raise ConfigError(f"{field} must be > 0, got {value:g}", fields=(field,))


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def resolve_provider(
    spec: str | ProviderSpec,
    config: RafaConfig | None = None,
    overrides: ProviderOverrides | None = None,
) -> ProviderSettings:
    """The settings ``spec`` names: CLI ``overrides`` over ``config`` over defaults.

    A bare name that is no provider but a ``[models]`` entry means that model
    on its provider (``--provider gpt-4o-mini``).
    """
    config = config if config is not None else RafaConfig()
    overrides = overrides if overrides is not None else ProviderOverrides()
    parsed = spec if isinstance(spec, ProviderSpec) else parse_provider_spec(spec)
    _check_overrides(overrides)
    name, model = parsed.provider, parsed.model
    known = config.provider_names
    if name not in known and model is None and name in config.models:
        name, model = config.models[name].provider, name
    if name not in known:
        where = config.path or f"a {CONFIG_FILENAME}"
        raise ConfigError(
            f"unknown provider {name!r} (known: {', '.join(known)}); "
            f"define it as [providers.{name}] in {where}"
        )
    entry = config.providers.get(name, ProviderEntry())
    kind_name = _kind_of(name, entry)
    if kind_name is None:
        raise ConfigError(f"providers.{_toml_key(name)}.kind is required")
    defaults: ProviderKind = provider_kind(kind_name)
    if defaults.in_process and overrides.base_url is not None:
        raise ConfigError(
            f"base_url is for HTTP providers; {name!r} runs in process"
            + (_SIM_SERVE_OVERRIDE_HINT if defaults.simulated else ""),
            fields=("base_url", "provider"),
        )
    base_url = _first(overrides.base_url, entry.base_url, defaults.base_url)
    if base_url is None and not defaults.in_process:
        raise ConfigError(
            f"provider {name!r} needs a base_url: its kind {kind_name!r} has no official "
            f"endpoint; set base_url under [providers.{name}] in {config.path or CONFIG_FILENAME}"
        )
    official = base_url == defaults.base_url
    api_key_env = _first(entry.api_key_env, defaults.api_key_env if official else None)
    model = _first(model, entry.model, defaults.model)
    if model is None:
        raise ConfigError(
            f"provider {name!r} needs a model: name it as {name}:MODEL (e.g. openai:gpt-4o-mini), "
            f"or set model under [providers.{name}] in {config.path or CONFIG_FILENAME}"
        )
    prices = config.models.get(model)
    if prices is not None and prices.provider != name:
        prices = None
    settings = ProviderSettings(
        provider=name,
        kind=kind_name,
        model=model,
        base_url=base_url,
        api_key_env=api_key_env,
        max_concurrency=_first(
            overrides.max_concurrency, entry.max_concurrency, defaults.max_concurrency
        ),
        rpm=_first(overrides.rpm, entry.rpm),
        tpm=_first(overrides.tpm, entry.tpm),
        timeout=_first(overrides.timeout, entry.timeout, DEFAULT_TIMEOUT),
        headers=dict(entry.headers),
        send_intent=_first(overrides.send_intent, entry.send_intent, False),
        input_per_mtok=prices.input_per_mtok if prices is not None else None,
        output_per_mtok=prices.output_per_mtok if prices is not None else None,
        config_path=config.path,
        max_consecutive_failures=_first(
            overrides.max_consecutive_failures,
            entry.max_consecutive_failures,
            DEFAULT_MAX_CONSECUTIVE_FAILURES,
        ),
    )
    if logging_configured():  # every run resolves its provider: no stray line in a program
        # Header values are not logged: a header may carry a credential under
        # a name the config check does not recognise.
        fields = msgspec.structs.asdict(settings)
        fields["headers"] = sorted(settings.headers)
        log.debug("provider_resolved", **fields)
    return settings


def provider_settings(
    spec: str = "sim",
    *,
    config_path: str | os.PathLike[str] | None = None,
    overrides: ProviderOverrides | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> ProviderSettings:
    """What the CLI calls: load the config (``--config`` or ``./rafa.toml``),
    then resolve ``spec`` with the command-line ``overrides``."""
    return resolve_provider(spec, load_config(config_path, cwd=cwd), overrides)
