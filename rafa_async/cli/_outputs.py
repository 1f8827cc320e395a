"""The files a run writes (``--out``, ``--trace``, ``--log``): checked before
the run, opened at their first write, appended to with ``--resume``.

A run must never cost the user the results of an earlier one.  So, before
anything starts, :func:`check_outputs` refuses an output that cannot be
written (without creating or emptying it) and an existing non-empty one that
neither ``--resume`` nor ``--force`` claims.  Then each file is opened only
when there is something to write: an error at start (a bad cassette or
cache, an unreachable ``--base-url``) happens before any result or event
exists, and leaves every file as it was.  (A preflight request to the
provider could not tell "unreachable" from "slow" or a proxy's answer, and
opening at the first write needs no guess.)

A run whose provider fails from the first call (unreachable, every call
failing until the circuit breaker trips) is a failed start too, even though
its tasks end as ``status: error`` records: those are held back
(:meth:`LazyFile.write_line` with ``held=True``) until a real result is
written or the run ends normally, so a run stopped by
``ProviderUnavailable`` before any result leaves ``--out`` as it was; its
one ``error:`` line says why.

``-`` means stdout (for at most one of them), and with ``--resume`` a torn
last line or frame (a crash mid-write) is moved to ``FILE.torn`` before
appending, so the file stays readable and no byte is lost.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path

import structlog

from rafa_async._events import Event, JsonlSink, MsgpackSink
from rafa_async._paths import STDOUT, LazyFile, unwritable
from rafa_async.cli._app import fail
from rafa_async.cli._console import text_to_stderr

log = structlog.get_logger("rafa_async.cli")


def prepare_outputs(
    results: Path | None, sinks: Mapping[str, Path | None], *, resume: bool, force: bool
) -> None:
    """:func:`check_outputs` for ``--out`` (``results``) and the event files
    (option -> path); then what ``--resume`` and ``-`` need: one ``error:``
    line if they cannot be had, else text goes to stderr if results go to
    stdout."""
    check_outputs({"--out": results, **sinks}, resume=resume, force=force)
    if resume and results is None:
        fail("--resume continues the results in --out: give --out FILE")
    if resume and results == STDOUT:
        fail("--resume reads the results back: --out must be a file, not '-'")
    if STDOUT in (results, *sinks.values()):
        text_to_stderr()


def open_outputs(
    stack: ExitStack, results: Path | None, *sinks: Path | None, append: bool
) -> tuple[LazyFile | None, list[LazySink | None]]:
    """The results file and the event sinks the options name (each opened at
    its first write), closed with ``stack``."""
    file = LazyFile(results, append=append) if results is not None else None
    if file is not None:
        stack.callback(file.close)
    lazy = [LazySink(path, append=append) if path is not None else None for path in sinks]
    for sink in lazy:
        if sink is not None:
            stack.callback(sink.close)
    return file, lazy


def check_outputs(outputs: Mapping[str, Path | None], *, resume: bool, force: bool) -> None:
    """One ``error:`` line (exit 2), touching no file, unless every output
    (option name -> path) can be written, and every existing non-empty one
    is claimed by ``resume`` or ``force``."""
    if resume and force:
        fail("--resume and --force exclude each other: continue the results, or overwrite them")
    given = {option: path for option, path in outputs.items() if path is not None}
    on_stdout = [option for option, path in given.items() if path == STDOUT]
    if len(on_stdout) > 1:
        fail(f"only one output can go to stdout ('-'); got {' and '.join(on_stdout)}")
    for option, path in given.items():
        if path == STDOUT:
            continue
        problem = unwritable(path)
        if problem:
            fail(f"cannot write {path}: {problem} ({option})")
        if not (resume or force) and path.is_file() and path.stat().st_size > 0:
            fail(
                f"{option} {path} already holds results: add --resume to continue them, "
                "or --force to overwrite them"
            )


class LazySink:
    """An event sink (JSON lines; msgpack frames for ``*.msgpack``) whose
    :class:`LazyFile` is opened at the first event."""

    def __init__(self, path: Path, *, append: bool) -> None:
        self.file = LazyFile(path, append=append)
        self._sink: JsonlSink | MsgpackSink | None = None

    def emit(self, event: Event) -> None:
        if self._sink is None:
            stream = self.file.open()
            msgpack = self.file.path.suffix == ".msgpack"
            self._sink = MsgpackSink(stream) if msgpack else JsonlSink(stream)
        self._sink.emit(event)

    def close(self) -> None:
        if self._sink is not None:
            self._sink.close()  # flushes the stream
        self.file.close()
