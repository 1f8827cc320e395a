"""structlog configuration for the CLI (libraries only ever *get* a logger)."""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

LogFormat = Literal["console", "json"]


def configure_logging(*, fmt: LogFormat = "console", level: str = "warning") -> None:
    """Structured key-value logs to stderr, rendered for people or as JSON lines."""
    numeric = logging.getLevelNamesMapping().get(level.upper())
    if numeric is None:
        raise ValueError(f"unknown log level {level!r}")
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )


def logging_configured() -> bool:
    """Whether the program has configured structlog.  Until it does,
    structlog prints every event, debug ones included, on stdout, where the
    program's own output goes: the library's debug events are for a
    program (or the CLI) that asked for logs."""
    return structlog.is_configured()
