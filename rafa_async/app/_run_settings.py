"""The settings that determine a run's results, as a file records them.

``rafa run --resume``, ``rafa play --resume`` and ``rafa study paper
--resume`` continue what an earlier run left on disk only when it was made
with the same settings.  Each line they write carries :func:`settings` of
its run (the config as JSON values, minus what changes how fast it goes,
not what it finds); a resume compares them and names the first that differs
(:func:`differences`).  :func:`finished` is the one rule for which records
are final: the others run again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import msgspec

from rafa_async.scenarios import TaskRecord


def finished(record: Mapping[str, Any] | TaskRecord) -> bool:
    """Whether ``record`` (a record, or a line read back) is final: a resume
    skips its task instead of running it again.  A record written whole is
    final unless a provider error decided it (``status`` ``"error"``), which
    a resumed run tries again; the last record of a task wins."""
    status = record.get("status") if isinstance(record, Mapping) else record.status
    return status != "error"


def settings(config: msgspec.Struct, *, ignore: Collection[str]) -> dict[str, Any]:
    """The fields of ``config`` that determine results (all but ``ignore``:
    concurrency, timing...), as JSON values: what a resumable file records."""
    values: dict[str, Any] = msgspec.json.decode(msgspec.json.encode(config))
    return {name: value for name, value in values.items() if name not in ignore}


def defaults(config: msgspec.Struct, *, ignore: Collection[str]) -> dict[str, Any]:
    """The default of every field of ``config`` that has one (but ``ignore``),
    as JSON values: what a file written before a setting existed was made
    with (it could not have set it)."""
    found: dict[str, Any] = {}
    for field in msgspec.structs.fields(config):
        if field.name in ignore:
            continue
        if field.default is not msgspec.NODEFAULT:
            found[field.name] = field.default
        elif field.default_factory is not msgspec.NODEFAULT:
            found[field.name] = field.default_factory()
    return dict(msgspec.json.decode(msgspec.json.encode(found)))


def differences(made_with: Mapping[str, Any], config: Mapping[str, Any]) -> str:
    """The settings that differ, as ``seed=0, not seed=1``."""
    names = sorted(set(made_with) | set(config))
    return "; ".join(
        f"{name}={made_with.get(name)!r}, not {name}={config.get(name)!r}"
        for name in names
        if made_with.get(name) != config.get(name)
    )
