"""Provider configuration: rafa.toml, ``--provider PROVIDER[:MODEL]`` and overrides."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
import structlog

from rafa_async import ConfigError
from rafa_async.llm import (
    ProviderOverrides,
    ProviderSettings,
    ProviderSpec,
    RafaConfig,
    load_config,
    parse_config,
    parse_provider_spec,
    provider_settings,
    resolve_provider,
)

EXAMPLE = Path(__file__).parent.parent / "rafa.example.toml"
SECRET = "sk-proj-THIS-IS-A-SECRET-0123456789"

CONFIG = """
[providers.openai]
kind = "openai"
base_url = "https://api.openai.com/v1"
api_key_env = "OPENAI_API_KEY"
max_concurrency = 32
rpm = 500
tpm = 200000
timeout = 30
max_consecutive_failures = 25

[providers.local]
kind = "openai"
base_url = "http://127.0.0.1:8000/v1"
model = "llama3:8b"

[models."gpt-4o-mini"]
provider = "openai"
input_per_mtok = 0.15
output_per_mtok = 0.60
"""


SIM_SERVE = "http://127.0.0.1:8000/v1"


def config(text: str = CONFIG) -> RafaConfig:
    return parse_config(text, source="rafa.toml")


def config_error(text: str) -> str:
    with pytest.raises(ConfigError) as caught:
        config(text)
    return str(caught.value)


# -- the spec ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("sim", ProviderSpec("sim")),
        ("openai:gpt-4o-mini", ProviderSpec("openai", "gpt-4o-mini")),
        ("local:llama3:8b", ProviderSpec("local", "llama3:8b")),
        (" openai:gpt-4o ", ProviderSpec("openai", "gpt-4o")),
    ],
)
def test_a_spec_is_a_provider_and_an_optional_model(spec: str, expected: ProviderSpec) -> None:
    assert parse_provider_spec(spec) == expected


@pytest.mark.parametrize("spec", ["", ":gpt-4o", "openai:", "  "])
def test_a_malformed_spec_is_rejected_with_the_expected_form(spec: str) -> None:
    with pytest.raises(ConfigError, match=r"PROVIDER:MODEL"):
        parse_provider_spec(spec)


# -- resolving -------------------------------------------------------------------


def test_the_default_is_the_embedded_sim_with_no_file() -> None:
    settings = resolve_provider("sim")

    assert settings == ProviderSettings(
        provider="sim", kind="sim", model="sim", max_concurrency=256
    )
    assert settings.simulated
    assert settings.base_url is None and settings.api_key() is None


def test_builtin_providers_work_without_a_file() -> None:
    openai = resolve_provider("openai:gpt-4o-mini")
    anthropic = resolve_provider("anthropic:claude-3-5-haiku-latest")

    assert (openai.kind, openai.model) == ("openai", "gpt-4o-mini")
    assert openai.base_url == "https://api.openai.com/v1"
    assert openai.api_key_env == "OPENAI_API_KEY"
    assert (anthropic.kind, anthropic.base_url) == ("anthropic", "https://api.anthropic.com")
    assert anthropic.api_key_env == "ANTHROPIC_API_KEY"
    assert openai.config_path is None


def test_a_file_provider_resolves_with_its_values_and_model_prices() -> None:
    settings = resolve_provider("openai:gpt-4o-mini", config())

    assert settings == ProviderSettings(
        provider="openai",
        kind="openai",
        model="gpt-4o-mini",
        base_url="https://api.openai.com/v1",
        api_key_env="OPENAI_API_KEY",
        max_concurrency=32,
        rpm=500,
        tpm=200_000,
        timeout=30,
        input_per_mtok=0.15,
        output_per_mtok=0.60,
        config_path="rafa.toml",
        max_consecutive_failures=25,
    )


def test_a_provider_without_a_model_in_the_spec_uses_its_default_model() -> None:
    settings = resolve_provider("local", config())

    assert (settings.provider, settings.model) == ("local", "llama3:8b")
    assert settings.base_url == "http://127.0.0.1:8000/v1"
    assert settings.input_per_mtok is None


def test_a_bare_model_name_from_the_models_table_means_its_provider() -> None:
    settings = resolve_provider("gpt-4o-mini", config())

    assert (settings.provider, settings.model, settings.input_per_mtok) == (
        "openai",
        "gpt-4o-mini",
        0.15,
    )


def test_prices_apply_only_to_the_provider_the_model_table_names() -> None:
    settings = resolve_provider("local:gpt-4o-mini", config())

    assert settings.input_per_mtok is None and settings.output_per_mtok is None


def test_an_unknown_provider_is_an_error_listing_the_known_ones() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve_provider("groq:llama3", config())

    message = str(caught.value)
    assert "'groq'" in message
    assert "anthropic, local, openai, sim" in message
    assert "[providers.groq] in rafa.toml" in message


def test_a_real_provider_without_any_model_is_an_error_saying_how_to_name_one() -> None:
    with pytest.raises(ConfigError, match=r"openai:MODEL"):
        resolve_provider("openai", config())


# -- precedence: CLI > file > defaults ------------------------------------------

PRECEDENCE = [
    ("base_url", "http://127.0.0.1:9000/v1", "https://api.openai.com/v1"),
    ("max_concurrency", 8, 32),
    ("rpm", 60.0, 500.0),
    ("tpm", 1000.0, 200_000.0),
    ("timeout", 5.0, 30.0),
    ("max_consecutive_failures", 0, 25),
]


@pytest.mark.parametrize(("field", "cli", "file"), PRECEDENCE)
def test_the_command_line_wins_over_the_file(field: str, cli: object, file: object) -> None:
    overrides = ProviderOverrides(**{field: cli})

    from_file = resolve_provider("openai:gpt-4o-mini", config())
    from_cli = resolve_provider("openai:gpt-4o-mini", config(), overrides)

    assert getattr(from_file, field) == file
    assert getattr(from_cli, field) == cli


def test_the_file_wins_over_the_defaults_and_defaults_fill_the_rest() -> None:
    bare = resolve_provider("openai:gpt-4o-mini")
    text = '[providers.openai]\nmax_concurrency = 4\nmodel = "gpt-4o"\n'

    filed = resolve_provider("openai", config(text))

    assert (bare.max_concurrency, bare.rpm, bare.tpm, bare.timeout) == (64, None, None, 60.0)
    assert bare.max_consecutive_failures == filed.max_consecutive_failures == 10
    assert (filed.max_concurrency, filed.model) == (4, "gpt-4o")
    assert (filed.rpm, filed.timeout, filed.base_url) == (None, 60.0, bare.base_url)


def test_a_custom_openai_kind_provider_gets_the_official_url_and_key_variable() -> None:
    settings = resolve_provider(
        "work:gpt-4o", config('[providers.work]\nkind = "openai"\napi_key_env = "WORK_KEY"\n')
    )

    assert settings.base_url == "https://api.openai.com/v1"
    assert settings.api_key_env == "WORK_KEY"


@pytest.mark.parametrize(
    ("text", "overrides"),
    [
        ('[providers.vllm]\nkind = "openai"\nbase_url = "http://127.0.0.1:8000/v1"\n', None),
        ("", ProviderOverrides(base_url="http://127.0.0.1:8000/v1")),
    ],
    ids=["file-base-url", "cli-base-url"],
)
def test_the_default_key_variable_is_never_sent_to_another_server(
    text: str, overrides: ProviderOverrides | None
) -> None:
    spec = "vllm:llama3" if text else "openai:llama3"

    settings = resolve_provider(spec, config(text), overrides)

    assert settings.base_url == "http://127.0.0.1:8000/v1"
    assert settings.api_key_env is None


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        (ProviderOverrides(max_concurrency=0), "max_concurrency must be >= 1"),
        (ProviderOverrides(rpm=0), "rpm must be > 0"),
        (ProviderOverrides(tpm=-5), "tpm must be > 0"),
        (ProviderOverrides(timeout=0), "timeout must be > 0"),
        (
            ProviderOverrides(max_consecutive_failures=-1),
            "max_consecutive_failures must be >= 0 (0: never stop), got -1",
        ),
        (ProviderOverrides(base_url="ftp://example.com"), "base_url: not an http(s) URL"),
        (ProviderOverrides(base_url="127.0.0.1:8000"), "base_url: not an http(s) URL"),
    ],
)
def test_bad_overrides_are_rejected_naming_the_field(
    overrides: ProviderOverrides, fragment: str
) -> None:
    """The library names ProviderOverrides' fields, and lists the one it names
    in ``fields`` (a CLI says its own option instead)."""
    with pytest.raises(ConfigError) as caught:
        resolve_provider("openai:gpt-4o", config(), overrides)
    assert str(caught.value).startswith(fragment)
    assert caught.value.fields == (fragment.split()[0].rstrip(":"),)


def test_a_base_url_override_for_the_sim_points_to_sim_serve() -> None:
    with pytest.raises(ConfigError, match="rafa sim-serve"):
        resolve_provider("sim", None, ProviderOverrides(base_url="http://127.0.0.1:8000/v1"))


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: parse_provider_spec("openai:"), "provider spec"),
        (lambda: resolve_provider("openai"), "needs a model"),
        (lambda: resolve_provider("sim", None, ProviderOverrides(base_url=SIM_SERVE)), "base_url"),
        (lambda: resolve_provider("sim", None, ProviderOverrides(max_concurrency=0)), "max_"),
        (lambda: load_config("/nonexistent/rafa.toml"), "config file"),
    ],
    ids=["spec", "model", "sim-base-url", "max-concurrency", "config-path"],
)
def test_the_library_names_fields_not_command_line_options(
    make: Callable[[], object], field: str
) -> None:
    """A program calls these too: the CLI maps fields to its options itself."""
    with pytest.raises(ConfigError) as caught:
        make()
    assert field in str(caught.value)
    assert not re.search(r"(?<![\w-])--[a-z]", str(caught.value)), str(caught.value)


# -- the file ----------------------------------------------------------------------


def test_the_shipped_example_is_valid() -> None:
    example = load_config(EXAMPLE)

    assert example.path == str(EXAMPLE)
    assert {"openai", "anthropic", "local"} <= set(example.providers)
    for spec in ("sim", "openai:gpt-4o-mini", "anthropic", "local", "gpt-4o-mini"):
        resolve_provider(spec, example)


def test_rafa_toml_in_the_working_directory_is_found(tmp_path: Path) -> None:
    (tmp_path / "rafa.toml").write_text(CONFIG)

    settings = provider_settings("local", cwd=tmp_path)

    assert settings.config_path == str(tmp_path / "rafa.toml")
    assert settings.model == "llama3:8b"


def test_without_rafa_toml_only_the_builtins_exist(tmp_path: Path) -> None:
    loaded = load_config(cwd=tmp_path)

    assert loaded == RafaConfig()
    assert loaded.provider_names == ["anthropic", "openai", "sim"]


def test_config_path_wins_over_rafa_toml(tmp_path: Path) -> None:
    (tmp_path / "rafa.toml").write_text('[providers.local]\nkind = "sim"\n')
    other = tmp_path / "other.toml"
    other.write_text(CONFIG)

    settings = provider_settings("local", config_path=other, cwd=tmp_path)

    assert settings.kind == "openai"


def test_a_missing_config_path_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"

    with pytest.raises(ConfigError) as caught:
        load_config(missing)

    assert str(missing) in str(caught.value)
    assert "not found" in str(caught.value)


def test_an_unreadable_config_path_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path)  # a directory


def test_errors_name_the_file_they_came_from(tmp_path: Path) -> None:
    path = tmp_path / "team.toml"
    path.write_text('[providers.openai]\nrpm = "fast"\n')

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert str(caught.value).startswith(f"{path}: providers.openai.rpm")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('[providers.openai]\nrpm = "fast"\n', ["providers.openai.rpm", "Expected `float`"]),
        ("[providers.openai]\nmax_concurrency = 0\n", ["providers.openai.max_concurrency", ">= 1"]),
        ("[providers.openai]\ntimeout = -1\n", ["providers.openai.timeout", "> 0"]),
        ('[providers.x]\nkind = "gemini"\n', ["providers.x.kind", "gemini"]),
        ("[providers.x]\nbase_url = 'http://h/v1'\n", ["providers.x.kind is required"]),
        ("[providers.openai]\nrmp = 5\n", ["unknown key 'rmp' in [providers.openai]", "rpm"]),
        ("[provider.openai]\nrpm = 5\n", ["unknown key 'provider' in the top level"]),
        ('[models."m"]\ninput_per_mtok = 1\n', ["models.m", "provider"]),
        ('[models."m"]\nprovider = "nobody"\n', ["models.m.provider", "'nobody'"]),
        ('[models."m"]\nprovider = "openai"\ninput_per_mtok = -1\n', ["models.m.input_per_mtok"]),
        ('providers = "openai"\n', ["providers", "Expected `object`"]),
        ("[providers.openai\nrpm = 5\n", ["not valid TOML"]),
        ("[providers.x]\nkind = 'openai'\nbase_url = 'localhost:8000'\n", ["providers.x.base_url"]),
        ("[providers.s]\nkind = 'sim'\nbase_url = 'http://h/v1'\n", ["providers.s.base_url"]),
        (
            "[providers.openai]\nmax_consecutive_failures = -3\n",
            ["providers.openai.max_consecutive_failures", ">= 0"],
        ),
    ],
)
def test_a_bad_file_is_an_error_naming_the_file_and_the_key(
    text: str, fragments: list[str]
) -> None:
    message = config_error(text)

    assert message.startswith("rafa.toml: ")
    for fragment in fragments:
        assert fragment in message


# -- keys come only from the environment -----------------------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (f'[providers.openai]\napi_key = "{SECRET}"\n', "providers.openai.api_key"),
        (f'[providers.openai]\napikey = "{SECRET}"\n', "providers.openai.apikey"),
        (f'[providers.x]\nkind = "openai"\nsecret = "{SECRET}"\n', "providers.x.secret"),
        (
            f'[providers.x]\nkind = "openai"\naccess-token = "{SECRET}"\n',
            "providers.x.access-token",
        ),
        (f'openai_api_key = "{SECRET}"\n', "openai_api_key"),
        (f'[models."m"]\nprovider = "openai"\nkey = "{SECRET}"\n', "models.m.key"),
    ],
)
def test_a_key_written_in_the_file_is_rejected_pointing_to_api_key_env(
    text: str, field: str
) -> None:
    message = config_error(text)

    assert f"rafa.toml: {field}: API keys must not be written in a config file" in message
    assert "api_key_env" in message
    assert SECRET not in message


@pytest.mark.parametrize("header", ["Authorization", "x-api-key", "X-Auth-Token"])
def test_a_credential_header_in_the_file_is_rejected(header: str) -> None:
    message = config_error(f'[providers.openai]\nheaders = {{ "{header}" = "Bearer {SECRET}" }}\n')

    assert f"providers.openai.headers.{header}" in message
    assert "api_key_env" in message
    assert SECRET not in message


def test_harmless_headers_are_kept() -> None:
    loaded = config('[providers.openai]\nheaders = { "OpenAI-Organization" = "org-1" }\n')

    assert resolve_provider("openai:m", loaded).headers == {"OpenAI-Organization": "org-1"}


def test_a_key_pasted_into_api_key_env_is_rejected_without_echoing_it() -> None:
    message = config_error(f'[providers.openai]\napi_key_env = "{SECRET}"\n')

    assert "providers.openai.api_key_env must be the NAME of an environment variable" in message
    assert SECRET not in message


def test_credentials_in_a_base_url_are_rejected_without_echoing_them() -> None:
    message = config_error(
        f'[providers.x]\nkind = "openai"\nbase_url = "https://me:{SECRET}@example.com/v1"\n'
    )

    assert "providers.x.base_url" in message and "credentials" in message
    assert SECRET not in message


@pytest.mark.parametrize(
    "url",
    [
        f"https://api.example.com/v1?api_key={SECRET}",
        f"https://api.example.com/v1?api-version=1&token={SECRET}",
        f"https://api.example.com/v1?{SECRET}",
        f"https://api.example.com/v1#{SECRET}",
        "https://api.example.com/v1?",
    ],
    ids=["api_key", "token", "bare", "fragment", "empty-query"],
)
def test_a_query_string_or_fragment_in_a_base_url_is_rejected_without_echoing_it(
    url: str,
) -> None:
    message = config_error(f'[providers.x]\nkind = "openai"\nbase_url = "{url}"\n')

    assert message.startswith("rafa.toml: providers.x.base_url: the URL must not have a query")
    assert "api_key_env" in message
    assert SECRET not in message
    with pytest.raises(ConfigError) as caught:
        resolve_provider("openai:m", config(), ProviderOverrides(base_url=url))
    assert str(caught.value).startswith("base_url: the URL must not have a query string")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize("url", [SECRET, f"ftp://{SECRET}", f"http://h:{SECRET}/v1"])
def test_a_base_url_that_is_no_url_is_rejected_without_echoing_it(url: str) -> None:
    with pytest.raises(ConfigError, match=r"^base_url: not a") as caught:
        resolve_provider("openai:m", config(), ProviderOverrides(base_url=url))
    assert SECRET not in str(caught.value)


def test_a_header_named_like_a_credential_is_rejected() -> None:
    message = config_error(f'[providers.x]\nkind = "openai"\nheaders = {{x-auth = "{SECRET}"}}\n')

    assert "providers.x.headers.x-auth: API keys must not be written in a config file" in message
    assert SECRET not in message


def test_provider_names_that_merely_end_in_key_are_fine() -> None:
    loaded = config('[providers.turnkey]\nkind = "openai"\nmodel = "m"\n')

    assert resolve_provider("turnkey", loaded).provider == "turnkey"


def test_the_key_is_read_from_the_environment_only_when_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = resolve_provider("openai:gpt-4o-mini", config())
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)

    assert settings.api_key() == SECRET


def test_a_missing_key_variable_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    settings = resolve_provider("openai:gpt-4o-mini", config())

    with pytest.raises(ConfigError, match=r"OPENAI_API_KEY, which is not set"):
        settings.api_key()


def test_settings_never_hold_show_or_log_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("WORK_KEY", SECRET)
    text = CONFIG + '[providers.work]\nkind = "openai"\napi_key_env = "WORK_KEY"\n'

    with structlog.testing.capture_logs() as logs:
        resolved = [resolve_provider(s, config(text)) for s in ("openai:m", "work:m", "local")]
        for settings in resolved:
            structlog.get_logger().info("settings", settings=settings)

    assert logs
    for settings in resolved:
        assert settings.api_key_env is None or settings.api_key() == SECRET
        assert SECRET not in repr(settings)
        assert SECRET not in str(settings)
        assert SECRET.encode() not in msgspec.json.encode(settings)
        assert SECRET not in repr(msgspec.to_builtins(settings))
    assert SECRET not in repr(logs)


def test_settings_are_frozen() -> None:
    settings = resolve_provider("sim")

    with pytest.raises(AttributeError):
        settings.model = "other"  # type: ignore[misc]


def test_header_values_are_not_logged_only_their_names() -> None:
    # A header whose name the config check does not recognise may still carry a credential.
    text = f'[providers.work]\nkind = "openai"\nheaders = {{x-org-ref = "{SECRET}"}}\n'

    with structlog.testing.capture_logs() as logs:
        resolve_provider("work:m", config(text))

    (resolved,) = [entry for entry in logs if entry["event"] == "provider_resolved"]
    assert resolved["headers"] == ["x-org-ref"]
    assert SECRET not in repr(logs)
