"""Where ``rafa`` prints, and how it reports bad usage and Ctrl-C: one line
on stderr, never a traceback.

``out`` is for results and tables (stdout, or stderr while results go to
stdout: :func:`text_to_stderr`), ``err`` for progress, errors and Ctrl-C.
Typer draws usage errors (an unknown option, a missing argument, a value
that is not a number) as a boxed panel under a usage line; ``rafa``'s own
checks print one ``error: ...`` line.  :class:`RafaGroup` makes both look
the same: ``error: MESSAGE; try 'rafa run --help'`` and exit status 2.  A
Ctrl-C outside a run's own handling (at start-up, in ``--replay``) ends with
``interrupted`` and status 130, also when trio wraps the ``KeyboardInterrupt``
in an exception group.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from typer._click.core import Context  # typer vendors click; its errors are these
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer.core import TyperGroup

from rafa_async._concurrency import first_of

out = Console()
err = Console(stderr=True)
USAGE = 2
INTERRUPTED = 130
"""Exit status after Ctrl-C (128 + SIGINT), as shells report it."""


def text_to_stderr() -> None:
    """Print tables and other text on stderr, for the rest of this command,
    so that stdout holds nothing but the JSON lines of ``--out -``."""
    out.stderr = True


def print_error(message: str) -> None:
    """``error: MESSAGE`` on one line of stderr (never wrapped)."""
    # emoji=False: an error quoting ``MATCH:SEAT:TURN`` (or any ``:name:``)
    # shows it as typed, not with rich's emoji for ``:seat:``.
    err.print(
        f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True, emoji=False
    )


def interrupted(line: str = "interrupted") -> NoReturn:
    """``line`` on stderr, exit status 130."""
    err.print(line, highlight=False, soft_wrap=True)
    raise typer.Exit(INTERRUPTED)


def usage_message(error: UsageError) -> str:
    """Typer's message on one line, in ``rafa``'s style, with the help hint."""
    text = " ".join(error.format_message().split()).rstrip(".")
    text = text[:1].lower() + text[1:]
    ctx = error.ctx
    if ctx is not None and ctx.command.get_help_option(ctx) is not None:
        text += f"; try '{ctx.command_path} {ctx.help_option_names[0]}'"
    return text


class RafaGroup(TyperGroup):
    """The ``rafa`` command group, with one-line usage errors and Ctrl-C."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            status = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except NoArgsIsHelpError:
            sys.exit(USAGE)  # the help is already printed
        except UsageError as error:
            print_error(usage_message(error))
            sys.exit(USAGE)
        except ClickException as error:
            print_error(" ".join(error.format_message().split()))
            sys.exit(error.exit_code)
        except typer.Abort:
            sys.exit(1)
        sys.exit(status if isinstance(status, int) else 0)

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            interrupted()
        except BaseExceptionGroup as group:
            if first_of(group, KeyboardInterrupt) is None:
                raise
            interrupted()
        finally:
            out.stderr = False  # the next command (in the same process: tests) starts afresh
