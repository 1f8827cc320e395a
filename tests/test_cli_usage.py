"""Bad usage of ``rafa`` -- typer's own checks and rafa's alike -- is one
``error:`` line on stderr and exit status 2; and ``rafa --version``."""

from __future__ import annotations

from importlib import metadata

import pytest
from support import assert_one_line_error, rafa

PLAY = ("play", "tictactoe", "--episodes", "1", "--latency-scale", "0")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["run", "game24", "--agent", "foo"], ["'foo' is not one of", "try 'rafa run --help'"]),
        (["run", "game24", "--episodes", "3"], ["no such option: --episodes"]),
        (["run"], ["missing argument", "try 'rafa run --help'"]),
        (["play", "tictactoe", "--episodes", "abc"], ["--episodes", "valid integer"]),
        (["run", "game24", "--puzzles"], ["--puzzles", "requires an argument"]),
        (["nosuch"], ["no such command 'nosuch'"]),
        (["sim-serve", "--port", "70000"], ["--port", "65535"]),
        (["run", "game24", "--n-generate", "1.5"], ["--n-generate"]),
    ],
)
def test_a_usage_error_is_one_line_not_a_box(args: list[str], fragments: list[str]) -> None:
    result = rafa(*args)

    assert_one_line_error(result, *fragments)
    assert "╭" not in result.output


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        ([*PLAY, "--move-timeout", "-1"], ["--move-timeout", "> 0", "-1"]),
        ([*PLAY, "--move-timeout", "0"], ["--move-timeout", "> 0"]),
        ([*PLAY, "--move-timeout", "nan"], ["--move-timeout", "nan"]),
        (
            ["play", "tictactoe", "--episodes", "0", "--train", "0"],
            ["--episodes and --train are both 0: there is nothing to play"],
        ),
        (["run", "game24", "--latency-scale", "nan"], ["--latency-scale", ">= 0", "nan"]),
        (["run", "game24", "--latency-scale", "inf"], ["--latency-scale", "inf"]),
        ([*PLAY, "--latency-scale", "-2"], ["--latency-scale", ">= 0", "-2"]),
        (["sim-serve", "--retry-after", "nan"], ["--retry-after", "nan"]),
        (["sim-serve", "--hang-seconds", "nan"], ["--hang-seconds", "nan"]),
        (["sim-serve", "--hang-seconds", "-1"], ["--hang-seconds", "> 0"]),
    ],
)
def test_a_number_that_makes_no_sense_is_one_line_error(
    args: list[str], fragments: list[str]
) -> None:
    assert_one_line_error(rafa(*args), *fragments)


@pytest.mark.parametrize(
    ("seats", "message"),
    [
        (
            ["--x", "rafa", "--seat", "X=random"],
            "seat X is given twice: --x rafa and --seat X=random",
        ),
        (["--seat", "O=rafa", "--o", "perfect"], "seat O is given twice"),
        (["--seat", "X=rafa", "--seat", "X=random"], "seat X is given twice"),
    ],
)
def test_a_seat_given_twice_is_one_line_error(seats: list[str], message: str) -> None:
    assert_one_line_error(rafa(*PLAY, *seats), message)


def test_a_series_without_llm_players_needs_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    seats = ("--x", "random", "--o", "perfect")

    policies_only = rafa(*PLAY, *seats, "--provider", "openai:gpt-4o-mini")
    with_rafa = rafa(*PLAY, "--x", "rafa", "--provider", "openai:gpt-4o-mini")

    assert policies_only.exit_code == 0, policies_only.output
    assert_one_line_error(with_rafa, "OPENAI_API_KEY")


def test_version_prints_the_package_version() -> None:
    result = rafa("--version")

    assert result.exit_code == 0
    assert result.stdout == f"rafa-async {metadata.version('rafa-async')}\n"


@pytest.mark.parametrize(
    "command",
    [
        ("run", "game24", "--puzzles", "901"),
        ("play", "tictactoe", "--episodes", "1"),
    ],
    ids=["run", "play"],
)
def test_the_sims_latency_scale_with_another_provider_is_refused_not_ignored(
    monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")

    result = rafa(*command, "--provider", "openai:gpt-4o-mini", "--latency-scale", "0")

    assert_one_line_error(
        result, "--latency-scale scales the in-process sim's latency", "openai:gpt-4o-mini"
    )


# -- library fields said as options ------------------------------------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["run", "game24", "--base-url", "http://127.0.0.1:8000/v1"],
            "--base-url is for HTTP providers; 'sim' runs in process (for a `rafa sim-serve` "
            "endpoint, use --provider openai:sim with --base-url http://127.0.0.1:8000/v1)",
        ),
        (["play", "tictactoe", "--rpm", "0"], "--rpm must be > 0, got 0"),
        (["play", "tictactoe", "--n-candidates", "0"], "--n-candidates must be >= 1"),
        (["play", "tictactoe", "--train", "-1"], "--train must be >= 0"),
    ],
    ids=["base-url", "rpm", "n-candidates", "train"],
)
def test_an_error_of_the_library_names_the_options_given(args: list[str], line: str) -> None:
    """The library names its fields (base_url, n_candidates); the CLI says
    the options the user typed."""
    result = rafa(*args, "--no-progress")
    assert_one_line_error(result, line)
    assert result.stderr.strip() == f"error: {line}"
