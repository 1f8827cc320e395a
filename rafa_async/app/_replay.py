"""Exact replays of a match log: re-run the series it recorded, compare each match.

Every match's host events go to the match log, the first ``MatchStarted``
holding the series' :class:`~rafa_async.app.PlayConfig`; :func:`replay_log`
re-runs the series and checks each match's :func:`~rafa_async.log_digest`.
Decisions depend only on the seed, the state and the memory (never on
timing), so a replay is exact without move deadlines; with deadlines it is
exact on a virtual clock.  A series recorded with a real provider replays
with ``llm=`` (e.g. a ``MiddlewareStack`` with ``replay=`` its cassette); a
match the log holds only the start of (a run cut short) is reported
``incomplete``, not different.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import msgspec

from rafa_async._errors import ConfigError
from rafa_async._events import Event, MatchEnded, MatchStarted, log_digest, read_events
from rafa_async.app._series import (
    MatchRecord,
    PlayConfig,
    _episode_number,
    _play,
    _Series,
    series_llm,
)
from rafa_async.llm import LLM

ReplayStatus = Literal["identical", "different", "incomplete"]


class ReplayCheck(msgspec.Struct, kw_only=True):
    """One match of a replayed log."""

    match: str
    recorded: str
    """The digest of the match's events in the log."""
    replayed: str | None
    """The digest of the re-run match (``None``: not re-run)."""
    complete: bool = True
    """False when the log ends before the match does (a run cut short): it has
    the match's ``MatchStarted`` but not its ``MatchEnded``.  Such a match is
    not re-run (the cassette of a cut run may not hold the rest of it)."""

    @property
    def status(self) -> ReplayStatus:
        if not self.complete:
            return "incomplete"
        return "identical" if self.recorded == self.replayed else "different"

    @property
    def ok(self) -> bool:
        """The replay reproduced the match exactly."""
        return self.status == "identical"


def read_match_log(path: str | os.PathLike[str]) -> tuple[PlayConfig, dict[str, list[Event]]]:
    """The series config and each match's events from a ``--log`` file.

    A log whose writer was killed mid-event ends in part of one: that part is
    left out (its match then has no ``MatchEnded``: it is incomplete).  Raises
    :class:`ConfigError` naming the problem if the file is not a match log.
    """
    by_match: dict[str, list[Event]] = {}
    config: PlayConfig | None = None
    try:
        for event in read_events(path, tolerate_cut=True):
            match = getattr(event, "match", None)
            if match is None:
                continue
            by_match.setdefault(match, []).append(event)
            if isinstance(event, MatchStarted) and config is None and "config" in event.options:
                config = msgspec.json.decode(event.options["config"], type=PlayConfig)
    except OSError as error:
        raise ConfigError(f"cannot read match log {path}: {error.strerror}") from None
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise ConfigError(f"{path} is not a rafa match log: {error}") from None
    if config is None:
        raise ConfigError(f"{path} has no MatchStarted event with a series config")
    return config, by_match


async def replay_log(
    path: str | os.PathLike[str],
    *,
    llm: LLM | None = None,
    on_match: Callable[[MatchRecord], None] | None = None,
) -> list[ReplayCheck]:
    """Re-run the series recorded in the match log ``path`` and compare each
    match's digest: :func:`read_match_log`, then :func:`replay_matches`."""
    config, recorded = read_match_log(path)
    return await replay_matches(config, recorded, llm=llm, on_match=on_match)


async def replay_matches(
    config: PlayConfig,
    recorded: Mapping[str, Sequence[Event]],
    *,
    llm: LLM | None = None,
    on_match: Callable[[MatchRecord], None] | None = None,
) -> list[ReplayCheck]:
    """Re-run the complete matches of ``recorded`` (match -> its logged
    events, from :func:`read_match_log`) and the training matches before
    them; one :class:`ReplayCheck` per recorded match, in episode order.
    Cancellable.

    ``llm`` as for :func:`~rafa_async.app.play_series`: by default the sim
    of ``config``; a series recorded with another provider needs it, e.g.
    ``open_llm(LLMOptions(provider=..., replay=CASSETTE))`` to answer from
    the cassette recorded with the log (offline), or the provider itself (a
    live re-run).
    """
    if llm is None and config.provider != "sim":
        raise ConfigError(
            f"the log was recorded with provider {config.provider!r}: pass llm=, e.g. "
            f"open_llm(LLMOptions(provider={config.provider!r}, replay=CASSETTE)) to replay "
            "the calls recorded with it"
        )
    training, evaluation = matches_to_replay(config, recorded)
    spec = config.validate()
    async with series_llm(config, llm, None) as shared:
        series = _Series(config, spec, shared, None)
        records = await _play(series, training, evaluation, None, on_match)
    replayed = {r.match: r.digest for r in records}
    return [
        ReplayCheck(
            match=match,
            recorded=log_digest(events),
            replayed=replayed.get(match),
            complete=_is_complete(events),
        )
        for match, events in sorted(recorded.items(), key=lambda kv: _episode_number(kv[0]))
    ]


def matches_to_replay(
    config: PlayConfig, recorded: Mapping[str, Sequence[Event]]
) -> tuple[list[int], list[int]]:
    """The training and the evaluation episodes a replay of ``recorded`` runs:
    every complete match of the log, and the training matches before it (the
    memory it started from)."""
    complete = [_episode_number(m) for m, events in recorded.items() if _is_complete(events)]
    trained = max((min(e + 1, config.train) for e in complete), default=0)
    return list(range(trained)), sorted(e for e in complete if e >= config.train)


def _is_complete(events: Sequence[Event]) -> bool:
    return any(isinstance(e, MatchEnded) for e in events)
