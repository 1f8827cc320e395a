"""The provider-kind table: every kind's contract, and adding one.

Every entry of ``PROVIDER_KINDS`` is checked the same way (its defaults are
sane, its adapter resolves, it builds with a fake key against a
MockTransport and sends its first call, with the key, to its own endpoint),
so a new kind is covered by adding it to the table.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from provider_support import FAKE_KEY, REQUEST, OpenAIWire, json_response
from support import EchoLLM

from rafa_async import ConfigError, ProviderError
from rafa_async.adapters.openai import OpenAIChat
from rafa_async.adapters.providers import make_provider, price_table
from rafa_async.llm import (
    LLM,
    PROVIDER_KINDS,
    HttpRequest,
    HttpResponse,
    MockTransport,
    ProviderKind,
    ProviderSettings,
    _providers,
    http_identity,
    parse_config,
    provider_kind,
    register_provider_kind,
    resolve_provider,
)

pytestmark = pytest.mark.anyio

MODEL = "contract-model"
OPENAI_CHAT = "rafa_async.adapters.openai:OpenAIChat"
GROQ = ProviderKind(
    adapter=OPENAI_CHAT, base_url="https://api.groq.com/openai/v1", api_key_env="GROQ_API_KEY"
)


@pytest.fixture
def scratch_kinds() -> Iterator[None]:
    """The table as it was, whatever a test registers."""
    saved = dict(_providers._KINDS)
    yield
    _providers._KINDS.clear()
    _providers._KINDS.update(saved)


def _refused(request: HttpRequest) -> HttpResponse:
    error = {"message": "invalid x-api-key", "type": "authentication_error"}
    return json_response({"type": "error", "error": error}, status=401)


async def check_kind_contract(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """What every kind of the table must do."""
    kind = provider_kind(name)
    assert re.fullmatch(r"[a-z][a-z0-9_-]*", name)
    assert kind.max_concurrency >= 1
    settings = resolve_provider(f"{name}:{MODEL}")
    assert (settings.kind, settings.provider, settings.model) == (name, name, MODEL)
    assert settings.simulated is kind.simulated
    if kind.in_process:
        assert (kind.base_url, kind.api_key_env, settings.base_url) == (None, None, None)
        sim = EchoLLM()
        assert make_provider(settings, sim=lambda: sim) is sim
        if kind.simulated:
            assert price_table(settings) is None  # simulated answers cost nothing
        return
    assert not kind.simulated
    assert kind.base_url is not None and kind.base_url.startswith("https://")
    assert kind.api_key_env is not None and re.fullmatch(r"[A-Z][A-Z0-9_]*", kind.api_key_env)
    assert callable(kind.factory())
    assert (settings.base_url, settings.api_key_env) == (kind.base_url, kind.api_key_env)
    monkeypatch.setenv(kind.api_key_env, FAKE_KEY)
    transport = MockTransport(_refused)
    provider = make_provider(settings, sim=EchoLLM, transport=transport)
    assert isinstance(provider, LLM)
    assert getattr(provider, "identity", None) == http_identity(name, MODEL, kind.base_url)
    with pytest.raises(ProviderError) as caught:
        await provider.complete(REQUEST)
    assert name in str(caught.value) and FAKE_KEY not in str(caught.value)
    [sent] = transport.requests
    assert sent.url.startswith(f"{kind.base_url}/")
    assert any(FAKE_KEY in value for value in sent.headers.values())


@pytest.mark.parametrize("name", list(PROVIDER_KINDS))
async def test_every_kind_keeps_the_contract(
    name: str, anyio_backend: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    await check_kind_contract(name, monkeypatch)


async def test_a_registered_openai_compatible_kind_keeps_the_contract_and_answers(
    anyio_backend: Any, monkeypatch: pytest.MonkeyPatch, scratch_kinds: None
) -> None:
    register_provider_kind("groq", GROQ)
    await check_kind_contract("groq", monkeypatch)

    wire = OpenAIWire()
    transport = MockTransport(lambda request: json_response(wire.ok("13")))
    provider = make_provider(
        resolve_provider("groq:llama-3.1-8b-instant"), sim=EchoLLM, transport=transport
    )
    response = await provider.complete(REQUEST)

    assert isinstance(provider, OpenAIChat)
    assert response.text == "13" and not response.simulated
    [sent] = transport.requests
    assert sent.url == "https://api.groq.com/openai/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {FAKE_KEY}"


def test_a_registered_kind_is_a_kind_and_a_provider_in_the_config(scratch_kinds: None) -> None:
    register_provider_kind("groq", GROQ)
    config = parse_config('[providers.fast]\nkind = "groq"\nmodel = "llama-3.1-8b-instant"\n')

    settings = resolve_provider("fast", config)

    assert "groq" in config.provider_names
    assert (settings.kind, settings.base_url) == ("groq", GROQ.base_url)
    assert settings.api_key_env == "GROQ_API_KEY"


def test_an_unknown_kind_is_a_config_error_never_another_providers_adapter() -> None:
    settings = ProviderSettings(
        provider="x", kind="gemini", model="m", base_url="https://example.com/v1"
    )
    with pytest.raises(ConfigError, match=r"unknown provider kind 'gemini' \(known: openai, "):
        make_provider(settings, sim=EchoLLM)


def test_a_kind_with_no_official_endpoint_needs_a_base_url(scratch_kinds: None) -> None:
    register_provider_kind("vllm", ProviderKind(adapter=OPENAI_CHAT))
    with pytest.raises(ConfigError, match="provider 'vllm' needs a base_url"):
        resolve_provider("vllm:m")
    config = parse_config('[providers.vllm]\nbase_url = "http://127.0.0.1:8000/v1"\n')
    assert resolve_provider("vllm:m", config).api_key_env is None


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("openai", GROQ, "provider kind 'openai' is already registered"),
        ("Groq", GROQ, "provider kind name 'Groq' must be lower-case"),
        ("groq:x", GROQ, "must be lower-case"),
    ],
)
def test_a_bad_registration_is_refused(
    name: str, kind: ProviderKind, message: str, scratch_kinds: None
) -> None:
    with pytest.raises(ConfigError, match=message):
        register_provider_kind(name, kind)
    assert PROVIDER_KINDS["openai"].api_key_env == "OPENAI_API_KEY"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"base_url": "https://h/v1"}, "runs in process: it takes no base_url"),
        ({"adapter": "OpenAIChat"}, "must be a reference 'module:attribute'"),
        ({"adapter": OPENAI_CHAT, "base_url": "https://h/v1?key=k"}, "base_url: the URL must"),
        ({"adapter": OPENAI_CHAT, "api_key_env": "sk-1234"}, "api_key_env must be the NAME"),
        ({"max_concurrency": 0}, "max_concurrency must be >= 1"),
    ],
)
def test_a_bad_kind_is_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ProviderKind(**fields)


@pytest.mark.parametrize(
    ("adapter", "message"),
    [
        ("rafa_async.adapters.nowhere:Chat", "No module named 'rafa_async.adapters.nowhere'"),
        ("rafa_async.adapters.openai:NoSuchChat", "rafa_async.adapters.openai has no callable"),
    ],
)
def test_an_adapter_that_cannot_be_loaded_is_a_config_error(adapter: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ProviderKind(adapter=adapter).factory()
