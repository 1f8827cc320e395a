"""Every public function that takes a file path takes a ``str`` as well as any
``os.PathLike`` (``pathlib.Path`` included), as the standard library does."""

from __future__ import annotations

import importlib
import inspect
import os
import pathlib
import pkgutil
import typing
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

import rafa_async
from rafa_async import JsonlSink, MatchStarted, MsgpackSink, open_sink, read_events
from rafa_async.app import PlayConfig, play_series, read_match_log, replay_log
from rafa_async.llm import load_config, provider_settings


def _public_modules() -> Iterator[Any]:
    yield rafa_async
    for info in pkgutil.walk_packages(rafa_async.__path__, "rafa_async."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            yield importlib.import_module(info.name)


def _public_functions() -> Iterator[tuple[str, Callable[..., Any]]]:
    seen: set[int] = set()
    for module in _public_modules():
        for name in dir(module):
            thing = getattr(module, name)
            if name.startswith("_") or id(thing) in seen:
                continue
            if not getattr(thing, "__module__", "").startswith("rafa_async"):
                continue
            seen.add(id(thing))
            if inspect.isfunction(thing):
                yield f"{module.__name__}.{name}", thing
            elif inspect.isclass(thing):
                for attr, member in vars(thing).items():
                    if isinstance(member, classmethod | staticmethod):
                        member = member.__func__
                    if inspect.isfunction(member) and (attr == "__init__" or attr[0] != "_"):
                        yield f"{module.__name__}.{name}.{attr}", member


def _mentions_path(annotation: Any) -> bool:
    return annotation is pathlib.Path or any(
        _mentions_path(arg) for arg in typing.get_args(annotation)
    )


def test_no_public_function_insists_on_pathlib_path() -> None:
    narrow = []
    for name, function in _public_functions():
        for parameter, annotation in typing.get_type_hints(function).items():
            if parameter == "return" or not _mentions_path(annotation):
                continue
            args = typing.get_args(annotation)
            if str not in args or not any(typing.get_origin(a) is os.PathLike for a in args):
                narrow.append(f"{name}({parameter}: {annotation})")
    assert narrow == []


def test_event_files_open_and_read_from_str_paths(tmp_path: Path) -> None:
    event = MatchStarted(match="m", game="tictactoe", players={}, seed=0, clock="turns")
    for suffix, kind in ((".jsonl", JsonlSink), (".msgpack", MsgpackSink)):
        path = str(tmp_path / f"trace{suffix}")
        sink = open_sink(path)
        assert isinstance(sink, kind)
        sink.emit(event)
        sink.close()
        assert list(read_events(path)) == [event]
    JsonlSink(str(tmp_path / "direct.jsonl")).close()
    MsgpackSink(str(tmp_path / "direct.msgpack")).close()


def test_a_match_log_reads_and_replays_from_a_str_path(tmp_path: Path) -> None:
    path = str(tmp_path / "log.jsonl")
    config = PlayConfig(game="tictactoe", seats={"X": "random", "O": "random"}, episodes=1)

    async def record() -> None:
        sink = open_sink(path)
        await play_series(config, log=sink)
        sink.close()

    anyio.run(record)
    assert read_match_log(path)[0] == config
    assert [check.ok for check in anyio.run(replay_log, path)] == [True]


def test_the_config_search_folder_may_be_a_str(tmp_path: Path) -> None:
    (tmp_path / "rafa.toml").write_text('[providers.mine]\nkind = "sim"\n')
    assert "mine" in load_config(cwd=str(tmp_path)).providers
    assert provider_settings("mine", cwd=str(tmp_path)).simulated


@pytest.mark.parametrize("convert", [str, Path])
def test_read_events_names_a_missing_file_either_way(
    tmp_path: Path, convert: Callable[[Path], Any]
) -> None:
    with pytest.raises(FileNotFoundError):
        list(read_events(convert(tmp_path / "missing.jsonl")))
