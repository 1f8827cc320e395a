"""The study's journal: ``<out>/episodes.jsonl``, every finished episode as it ends.

A study runs for hours (on a real provider it costs money), and its report
is written at the end.  So that a Ctrl-C, a crash or a provider outage loses
nothing, :class:`StudyJournal` appends each finished episode as one JSON
line, flushed, and each learning protocol's curves as one line when it
completes; :func:`read_journal` reads it back as a
:class:`~rafa_async.app.StudyDone`, from which :func:`~rafa_async.app.run_study`
runs only what is missing and reports on everything, kept and new.

The format (one JSON object a line, told apart by ``"kind"``):

- ``study`` (the first line): the study's name, ``seeds``, ``quick`` and
  ``provider``: a resume against another study is refused;
- ``episode``: its run (``row``, ``column``, ``seed``), ``config`` -- the
  settings that determine its result
  (:func:`~rafa_async.app._run_settings.settings` of the run's
  :class:`~rafa_async.app.BenchmarkConfig` but :data:`NOT_RESULTS`) -- and
  ``record``, the episode's record (its benchmark's
  :class:`~rafa_async.scenarios.TaskRecord`);
- ``learning``: a protocol's ``name``, its ``curves`` and what they cost.

A record a provider error decided (``status`` ``"error"``) is not final: a
resume runs its task again and the later line wins.  A torn last line (a
crash mid-write) is not a record: its task runs again.
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path
from types import TracebackType
from typing import Any

import msgspec

from rafa_async._errors import ConfigError
from rafa_async._events import whole_length
from rafa_async._paths import LazyFile, unwritable
from rafa_async.app._benchmark import NOT_RESULTS
from rafa_async.app._run_settings import differences, finished, settings
from rafa_async.app._study import StudyDone, StudyPlan, StudyRun, run_key
from rafa_async.app._study_results import StudyLearningCurve
from rafa_async.app._study_spec import LearningPart
from rafa_async.llm import total_cost
from rafa_async.scenarios import TaskRecord, get_scenario

JOURNAL_FILE = "episodes.jsonl"
"""The journal's name in a study's ``--out``."""


class StudyStamp(msgspec.Struct, frozen=True, kw_only=True, tag="study", tag_field="kind"):
    """The first line: which study the journal is of."""

    study: str
    seeds: int
    quick: bool
    provider: str


class EpisodeLine(msgspec.Struct, frozen=True, kw_only=True, tag="episode", tag_field="kind"):
    """A finished episode, tagged with its run and the settings that made it."""

    row: str
    column: str
    seed: int
    config: dict[str, Any]
    record: msgspec.Raw
    """The record as its benchmark's record type encodes it."""


class LearningLine(msgspec.Struct, frozen=True, kw_only=True, tag="learning", tag_field="kind"):
    """A learning protocol's curves, once it completed."""

    name: str
    curves: list[StudyLearningCurve]
    cost_usd: float | None
    """What the protocol's calls cost (``None``: unknown)."""


JournalLine = StudyStamp | EpisodeLine | LearningLine
_decoder = msgspec.json.Decoder(JournalLine)


def study_stamp(plan: StudyPlan) -> StudyStamp:
    """What identifies ``plan``'s study in its journal."""
    return StudyStamp(
        study=plan.spec.name, seeds=plan.seeds, quick=plan.quick, provider=plan.provider
    )


def run_settings(run: StudyRun) -> dict[str, Any]:
    """The settings of ``run`` that determine its results, as its lines record them."""
    return settings(run.config, ignore=NOT_RESULTS)


class StudyJournal:
    """``<out>/episodes.jsonl``: :meth:`episode` and :meth:`learning` write
    one line each and flush it.  The file is opened at the first line
    (:class:`~rafa_async._paths.LazyFile`), so a study that fails to start
    leaves a journal already there as it was.  Blocking (a line at a time);
    use it as a context manager to close it."""

    def __init__(self, out: str | os.PathLike[str], plan: StudyPlan, *, resume: bool) -> None:
        """A new journal in ``out`` (created; one already there is replaced
        at the first line), or with ``resume`` the one there, appended to
        (its torn last line, if any, moved to ``episodes.jsonl.torn``).
        :class:`~rafa_async.ConfigError` if it cannot be written."""
        self.path = Path(out) / JOURNAL_FILE
        self._settings = {run_key(run): run_settings(run) for run in plan.runs}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            problem = exc.strerror or str(exc)
        else:
            problem = unwritable(self.path)
        if problem:
            raise ConfigError(
                f"--out {out}: cannot write {JOURNAL_FILE} there ({problem})", fields=("out",)
            )
        self._file = LazyFile(self.path, append=resume)
        self._stamp = None if resume else study_stamp(plan)

    def episode(self, run: StudyRun, record: TaskRecord) -> None:
        """Journal ``record``, an episode of ``run`` that just ended."""
        config = self._settings[run_key(run)]
        raw = msgspec.Raw(msgspec.json.encode(record))
        line = EpisodeLine(row=run.row, column=run.column, seed=run.seed, config=config, record=raw)
        # A record a provider error decided is held back until a final one
        # comes: a study whose provider fails from the start writes nothing.
        self._write(line, held=not finished(record))

    def learning(
        self, protocol: LearningPart, curves: list[StudyLearningCurve], cost_usd: float | None
    ) -> None:
        """Journal the curves of ``protocol``, which just completed."""
        self._write(LearningLine(name=protocol.name, curves=curves, cost_usd=cost_usd))

    def _write(self, line: JournalLine, *, held: bool = False) -> None:
        if self._stamp is not None:
            self._file.write_line(msgspec.json.encode(self._stamp), held=held)
            self._stamp = None
        self._file.write_line(msgspec.json.encode(line), held=held)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> StudyJournal:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def read_journal(out: str | os.PathLike[str], plan: StudyPlan) -> StudyDone:
    """What the journal in ``out`` says ``plan``'s study already ran.
    :class:`~rafa_async.ConfigError` naming the problem if there is none, if
    it is another study's (other seeds, ``quick`` or provider), if a run was
    made with other settings (naming the first that differs), or if a line
    is not a journal's (naming its number).  Blocking."""
    path = Path(out) / JOURNAL_FILE
    if not path.is_file():
        raise ConfigError(f"{path} does not exist: there is no study to resume in {out}")
    runs = {run_key(run): run for run in plan.runs}
    expected = {run_key(run): run_settings(run) for run in plan.runs}
    episodes: dict[tuple[str, str, int], dict[str, TaskRecord]] = defaultdict(dict)
    learning: dict[str, list[StudyLearningCurve]] = {}
    costs: list[float | None] = []
    whole = path.read_bytes()[: whole_length(path)]
    stamp: StudyStamp | None = None
    for number, text in enumerate(whole.splitlines(), 1):
        where = f"{path} line {number}"
        try:
            line = _decoder.decode(text)
        except msgspec.DecodeError as error:
            raise ConfigError(f"{where} is not a line of a study's journal ({error})") from None
        if stamp is None:
            if not isinstance(line, StudyStamp):
                raise ConfigError(f"{where} is not a study's first line (its name and seeds)")
            stamp = line
            this = study_stamp(plan)
            if stamp != this:
                made, now = msgspec.to_builtins(stamp), msgspec.to_builtins(this)
                raise ConfigError(f"{path} is another study's: {differences(made, now)}")
        elif isinstance(line, EpisodeLine):
            key = (line.row, line.column, line.seed)
            if key not in runs:
                raise ConfigError(f"{where}: {_run_name(*key)} is not a run of this study")
            if line.config != expected[key]:
                raise ConfigError(
                    f"{where}: {_run_name(*key)} was made with "
                    f"{differences(line.config, expected[key])}"
                )
            kind = get_scenario(runs[key].config.scenario).record_type
            try:
                record = msgspec.json.decode(line.record, type=kind)
            except msgspec.ValidationError as error:
                raise ConfigError(f"{where} is not a record of its benchmark ({error})") from None
            episodes[key].pop(record.task_id, None)  # the last line of a task wins
            episodes[key][record.task_id] = record
            costs.append(record.cost_usd)
        elif isinstance(line, LearningLine):
            learning[line.name] = line.curves
            costs.append(line.cost_usd)
        else:
            raise ConfigError(f"{where} is a second first line (a study's name and seeds)")
    if stamp is None:
        raise ConfigError(f"{path} is empty: there is no study to resume in {out}")
    return StudyDone(episodes=dict(episodes), learning=learning, cost_usd=total_cost(costs))


def _run_name(row: str, column: str, seed: int) -> str:
    return f"{row} · {column} · seed {seed}"
