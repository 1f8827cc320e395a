"""``rafa providers``: the resolved provider settings, never a key."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import assert_one_line_error, rafa

SECRET = "sk-proj-THIS-IS-A-SECRET-0123456789"
EXAMPLE = Path(__file__).parent.parent / "rafa.example.toml"


def test_without_a_config_it_lists_the_builtin_providers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = rafa("providers")

    assert result.exit_code == 0, result.output
    for name in ("anthropic", "openai", "sim"):
        assert f"│ {name} " in result.stdout
    assert "no rafa.toml" in result.stdout


def test_it_lists_the_providers_and_prices_of_a_config() -> None:
    result = rafa("providers", "--config", str(EXAMPLE))

    assert result.exit_code == 0, result.output
    assert "│ local " in result.stdout
    assert "gpt-4o-mini" in result.stdout and "0.15" in result.stdout


def test_it_shows_the_resolved_settings_with_overrides_and_never_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)

    result = rafa(
        "providers", "--config", str(EXAMPLE), "--provider", "openai:gpt-4o-mini", "--rpm", "7"
    )

    assert result.exit_code == 0, result.output
    assert "OPENAI_API_KEY (set)" in result.stdout
    assert "│ 7 " in result.stdout  # --rpm over the file's 500
    assert SECRET not in result.output


def test_it_says_when_a_key_variable_is_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)

    result = rafa("providers", "--provider", "openai:gpt-4o-mini")

    assert "OPENAI_API_KEY (NOT SET)" in result.stdout


def test_the_sim_is_labelled_simulated() -> None:
    result = rafa("providers", "--provider", "sim")

    assert "SIMULATED" in result.stdout


def test_an_unknown_provider_is_one_error_line() -> None:
    assert_one_line_error(rafa("providers", "--provider", "groq:x"), "'groq'", "[providers.groq]")


def test_a_key_in_the_config_is_one_error_line_without_the_key(tmp_path: Path) -> None:
    config = tmp_path / "rafa.toml"
    config.write_text(f'[providers.openai]\napi_key = "{SECRET}"\n')

    result = rafa("providers", "--config", str(config))

    assert_one_line_error(result, "providers.openai.api_key", "api_key_env")
    assert SECRET not in result.output


def test_a_bad_override_is_one_error_line() -> None:
    assert_one_line_error(
        rafa("providers", "--provider", "openai:m", "--max-concurrency", "0"),
        "--max-concurrency must be >= 1",
    )


@pytest.mark.parametrize("model", ["gpt-4o-mini", "gpt-4o-mini-2024-07-18"])
def test_a_model_of_the_builtin_price_table_shows_its_price(
    model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no rafa.toml: only the built-in table prices it

    result = rafa("providers", "--provider", f"openai:{model}")

    assert result.exit_code == 0, result.output
    assert "$0.15 in / $0.6 out per Mtok (built-in table as of" in result.stdout
    assert "unknown" not in result.stdout


def test_a_model_priced_in_the_config_names_the_file() -> None:
    result = rafa("providers", "--config", str(EXAMPLE), "--provider", "anthropic")

    assert "$0.8 in / $4 out per Mtok (" in result.stdout
    assert "rafa.example.toml)" in result.stdout


def test_a_model_without_a_price_says_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    result = rafa("providers", "--provider", "openai:my-finetune")

    assert "unknown (add a [models] table)" in result.stdout


def test_the_sim_is_free_not_unknown() -> None:
    result = rafa("providers", "--provider", "sim")

    assert "free (simulated)" in result.stdout
    assert "unknown" not in result.stdout


def test_it_shows_when_failing_calls_stop_a_run() -> None:
    default = rafa("providers", "--provider", "openai:gpt-4o-mini")
    never = rafa("providers", "--provider", "sim", "--max-consecutive-failures", "0")

    assert (
        "│ stop after      │ 10 failed calls in a row (max_consecutive_failures)" in default.stdout
    )
    assert "│ stop after      │ never (max_consecutive_failures 0)" in never.stdout
    assert_one_line_error(
        rafa("providers", "--provider", "sim", "--max-consecutive-failures", "-1"),
        "--max-consecutive-failures must be >= 0",
    )
