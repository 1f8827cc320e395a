"""``--resume``: what an earlier run left in ``--out``, and whether to continue it.

Every line ``rafa run`` and ``rafa play`` write to ``--out`` carries
``"config"``: the settings that determine the results (:func:`stamped` of
:func:`~rafa_async.app._run_settings.settings`).
Resuming reads the file back, refuses it if any record was made with other
settings (naming the first that differs), and returns the latest record of
each task (run) or match (play).  The tasks whose latest record is
:func:`~rafa_async.app._run_settings.finished` are skipped; the rest run again and their records are
appended, so a reader of the file takes the last line of each task.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from rafa_async._events import whole_length
from rafa_async.app import differences
from rafa_async.cli._app import fail

Record = dict[str, Any]
R = TypeVar("R", bound=msgspec.Struct)
CONFIG = "config"
"""The key of each ``--out`` line holding the settings that made it."""


def stamped(record: msgspec.Struct, config: Mapping[str, Any]) -> bytes:
    """``record`` as one JSON line (no newline) with the settings that made it."""
    return msgspec.json.encode({**msgspec.to_builtins(record), CONFIG: config})


def read_results(
    path: Path,
    *,
    key: Callable[[Record], str],
    config: Mapping[str, Any],
    defaults: Mapping[str, Any] | None = None,
) -> dict[str, Record]:
    """The latest record of each task in ``path`` (by ``key``), oldest first;
    empty if there is no such file.  One ``error:`` line if the file is not
    results of this command, or holds results made with other settings.  A
    torn last line (a crash mid-write) is not a record: it is left for
    :func:`~rafa_async._events.cut_torn_tail` and its task runs again.
    A setting a line does not record (it was written before the setting
    existed) counts as its default from ``defaults``.
    """
    if not path.is_file():
        return {}
    whole = path.read_bytes()[: whole_length(path)]
    latest: dict[str, Record] = {}
    for number, line in enumerate(whole.splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = msgspec.json.decode(line)
            made_with, task = record[CONFIG], key(record)
        except (msgspec.DecodeError, KeyError, TypeError) as error:
            fail(
                f"--resume: {path} line {number} is not a result of this command with its "
                f"settings ({error!r}): use --force to overwrite it, or another --out"
            )
        if defaults:
            made_with = {**defaults, **made_with}
        if made_with != config:
            fail(f"--resume: {path} was made with {differences(made_with, config)}")
        latest.pop(task, None)  # re-insert: the order is that of the latest lines
        latest[task] = record
    return latest


def combined(
    kept: Mapping[str, Record], new: Sequence[R], kind: type[R], key: Callable[[R], str]
) -> list[R]:
    """The latest record of each task: those kept from ``--out``, replaced by
    ``new`` ones of the same task."""
    latest = {task: msgspec.convert(record, kind) for task, record in kept.items()}
    for record in new:
        latest[key(record)] = record
    return list(latest.values())
