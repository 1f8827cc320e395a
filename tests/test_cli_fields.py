"""The CLI says a library error's fields as its own options (cli/_fields.py)."""

from __future__ import annotations

import pytest
import typer
from typer._click.core import Context
from typer.main import get_command

from rafa_async import ConfigError
from rafa_async.cli._fields import in_options, option_names

command = typer.Typer()


@command.command()
def demo(
    max_concurrency: int = 1,
    record: str = typer.Option("", "--record-llm"),
    send_intent: bool = typer.Option(False, "--send-intent/--no-send-intent"),
) -> None:
    """A command whose options stand for library fields."""


def context() -> Context:
    return Context(get_command(command))


def test_each_parameter_stands_for_the_field_of_its_name() -> None:
    names = option_names(context())
    assert names["max_concurrency"] == "--max-concurrency"
    assert names["record"] == "--record-llm"
    assert names["send_intent"] == "--send-intent"
    assert names["tasks"] == "--puzzles"  # a field set by an option of another name


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            ConfigError("max_concurrency must be >= 1, got 0", fields=("max_concurrency",)),
            "--max-concurrency must be >= 1, got 0",
        ),
        (
            ConfigError("record and max_concurrency", fields=("record", "max_concurrency")),
            "--record-llm and --max-concurrency",
        ),
        # Only the fields the error lists, and only as whole words.
        (
            ConfigError("record the max_concurrency_x", fields=("max_concurrency",)),
            "record the max_concurrency_x",
        ),
        (
            ConfigError("providers.x.max_concurrency: bad", fields=("max_concurrency",)),
            "providers.x.max_concurrency: bad",
        ),
        (ConfigError("max_concurrency must be >= 1"), "max_concurrency must be >= 1"),
        (ConfigError("no_such must be >= 1", fields=("no_such",)), "no_such must be >= 1"),
        (ValueError("max_concurrency"), "max_concurrency"),
    ],
    ids=["one", "two", "whole-words", "dotted", "unlisted", "no-option", "not-config"],
)
def test_an_error_says_the_fields_it_lists_as_options(error: Exception, said: str) -> None:
    assert in_options(error, context()) == said
