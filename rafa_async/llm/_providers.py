"""The provider kinds: what ``kind = "..."`` in ``rafa.toml`` means, in one table.

A kind says where its official endpoint is, which environment variable holds
its key, its defaults, and which adapter speaks its API.  Every kind's name is
also a provider usable without any config file (``--provider openai:gpt-4o``).
The configuration (:mod:`rafa_async.llm._config`) validates a ``kind``
against this table and takes its defaults from it;
:func:`rafa_async.adapters.providers.make_provider` builds a provider from
its kind's adapter.  So a new OpenAI-compatible service is one line in
:data:`_KINDS` (or one :func:`register_provider_kind` call in a program).

The adapter is named, not imported (``"module:attr"``): the LLM layer does
not depend on the adapters, and a kind costs nothing until it is built.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Protocol, cast

import msgspec

from rafa_async._errors import ConfigError
from rafa_async.llm._endpoint import check_api_key_env, check_base_url
from rafa_async.llm._types import LLM
from rafa_async.llm.http import HttpTransport, Timeouts, TransportKind

DEFAULT_MAX_CONCURRENCY = 64
_NAME = re.compile(r"[a-z][a-z0-9_-]*")
_REFERENCE = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


class ProviderFactory(Protocol):
    """What a kind's adapter reference names: a callable (usually the adapter
    class, e.g. :class:`~rafa_async.adapters.openai.OpenAIChat`) that builds
    the provider from these keyword arguments.  ``name`` is the provider's
    name in the config, used in its messages and identity."""

    def __call__(
        self,
        *,
        name: str,
        model: str,
        base_url: str,
        api_key_env: str | None,
        extra_headers: Mapping[str, str],
        transport: HttpTransport | None,
        transport_kind: TransportKind,
        max_connections: int,
        timeouts: Timeouts | None,
        send_intent: bool,
        stream_completions: bool,
    ) -> LLM: ...


class ProviderKind(msgspec.Struct, frozen=True, kw_only=True):
    """One kind of provider.

    ``adapter``: ``"module:attr"``, a :class:`ProviderFactory`; ``None`` for
    a kind that runs in process, which the caller builds (the simulated LLM,
    from the scenarios' oracles).  ``base_url``: the official endpoint
    (``None``: the config must give one, or the kind runs in process).
    ``api_key_env``: the variable holding the key, sent only to ``base_url``
    (a provider pointed elsewhere must name its variable itself, so a key
    never leaks to another server).  ``model``: the model when the spec names
    none.  ``max_concurrency``: calls in flight by default.  ``simulated``:
    the answers are the simulated LLM's, never a real model's.
    """

    adapter: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None
    model: str | None = None
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    simulated: bool = False

    def __post_init__(self) -> None:
        if self.adapter is None:
            if self.base_url is not None or self.api_key_env is not None:
                raise ConfigError(
                    "a provider kind without an adapter runs in process: "
                    "it takes no base_url or api_key_env"
                )
        elif not _REFERENCE.fullmatch(self.adapter):
            raise ConfigError(
                f"adapter {self.adapter!r} must be a reference 'module:attribute' "
                "(e.g. 'rafa_async.adapters.openai:OpenAIChat')"
            )
        if self.base_url is not None:
            check_base_url(self.base_url, "base_url")
        if self.api_key_env is not None:
            check_api_key_env(self.api_key_env, "api_key_env")
        if self.max_concurrency < 1:
            raise ConfigError(f"max_concurrency must be >= 1, got {self.max_concurrency}")

    @property
    def in_process(self) -> bool:
        """Whether the caller builds this kind's provider (it has no adapter)."""
        return self.adapter is None

    def factory(self) -> ProviderFactory:
        """The adapter, imported now; :class:`ConfigError` naming the reference
        if it cannot be (a kind that runs in process has none)."""
        if self.adapter is None:
            raise ConfigError("this provider kind runs in process: the caller builds it")
        module_name, _, attribute = self.adapter.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise ConfigError(f"provider adapter {self.adapter!r}: {error}") from error
        factory = getattr(module, attribute, None)
        if not callable(factory):
            raise ConfigError(
                f"provider adapter {self.adapter!r}: {module_name} has no callable {attribute}"
            )
        return cast(ProviderFactory, factory)


def _openai_compatible(base_url: str, api_key_env: str) -> ProviderKind:
    return ProviderKind(
        adapter="rafa_async.adapters.openai:OpenAIChat", base_url=base_url, api_key_env=api_key_env
    )


_KINDS: dict[str, ProviderKind] = {
    "openai": _openai_compatible("https://api.openai.com/v1", "OPENAI_API_KEY"),
    "anthropic": ProviderKind(
        adapter="rafa_async.adapters.anthropic:AnthropicChat",
        # As the Anthropic SDK's base_url: without /v1.
        base_url="https://api.anthropic.com",
        api_key_env="ANTHROPIC_API_KEY",
    ),
    # The in-process sim has no server to overload: many calls in flight.
    "sim": ProviderKind(model="sim", max_concurrency=256, simulated=True),
}

PROVIDER_KINDS: Mapping[str, ProviderKind] = MappingProxyType(_KINDS)
"""Every provider kind, by name (read-only; see :func:`register_provider_kind`)."""


def provider_kind(name: str) -> ProviderKind:
    """The kind called ``name``; :class:`ConfigError` listing the known ones if none."""
    kind = _KINDS.get(name)
    if kind is None:
        raise ConfigError(f"unknown provider kind {name!r} (known: {', '.join(_KINDS)})")
    return kind


def register_provider_kind(name: str, kind: ProviderKind) -> None:
    """Add a provider kind (before loading a config that uses it)::

        register_provider_kind("groq", ProviderKind(
            adapter="rafa_async.adapters.openai:OpenAIChat",
            base_url="https://api.groq.com/openai/v1",
            api_key_env="GROQ_API_KEY",
        ))

    ``name`` (lower-case letters, digits, ``-`` and ``_``) becomes a ``kind``
    and a provider name usable without a config file.  A name already taken
    is a :class:`ConfigError`: a kind's meaning never changes under a running
    program.
    """
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"provider kind name {name!r} must be lower-case letters, digits, '-' or '_', "
            "starting with a letter"
        )
    if name in _KINDS:
        raise ConfigError(f"provider kind {name!r} is already registered")
    _KINDS[name] = kind
