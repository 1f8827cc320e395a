"""The library's field names said as ``rafa``'s options, in error messages.

The library names the inputs a :class:`~rafa_async.ConfigError` is about by
their fields (``max_concurrency must be >= 1``), since a program has no
``--max-concurrency``; the error lists them in ``fields``.  On the command
line the user typed options, so :func:`in_options` says each listed field as
the option that sets it: the long option of the running command's parameter
of the same name (the options' own declarations), or :data:`RENAMED` where
the option is called otherwise.  A field no option sets stays as it is.
"""

from __future__ import annotations

import re

from typer._click.core import Context  # typer vendors click
from typer._click.globals import get_current_context

from rafa_async._errors import ConfigError

RENAMED = {
    "tasks": "--puzzles",
    "llm_concurrency": "--max-concurrency",
    "max_llm_concurrency": "--max-concurrency",
}
"""Fields set by an option of another name (the rest: by their parameter's)."""


def option_names(context: Context | None = None) -> dict[str, str]:
    """Field -> the option that sets it, for the command running in
    ``context`` (default: the current one) and the commands above it."""
    names = dict(RENAMED)
    context = context if context is not None else get_current_context(silent=True)
    while context is not None:
        for param in context.command.params:
            long = [opt for opt in param.opts if opt.startswith("--")]
            if param.name is not None and long and param.param_type_name == "option":
                names[param.name] = long[0]
        context = context.parent
    return names


def in_options(error: BaseException, context: Context | None = None) -> str:
    """``error``'s message, each field it names (:attr:`ConfigError.fields`)
    said as the option that sets it."""
    message = str(error)
    if not isinstance(error, ConfigError) or not error.fields:
        return message
    names = option_names(context)
    for field in error.fields:
        option = names.get(field)
        if option is not None:
            pattern = rf"(?<![\w.-]){re.escape(field)}(?![\w-])"
            message = re.sub(pattern, option, message)
    return message
