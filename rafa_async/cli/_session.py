"""What ``rafa run`` and ``rafa play`` do alike around their library call.

Before the run: the output files are checked (:func:`prepare_outputs`) and,
with ``--resume``, the results already in ``--out`` read back
(:class:`Session`).  During it: the LLM is opened around the library call
(:meth:`Session.run_on_llm`), the files are opened at their first write,
each record is written as it comes (stamped with the settings), and a
progress bar counts them (:func:`run_counted`).  Ctrl-C cancels the run and
says how many were done; afterwards the summary can cover the whole
``--out`` (:meth:`Session.whole`).  ``rafa play --replay`` uses the
progress bar and Ctrl-C alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Generic, Protocol, TypeVar

import msgspec
from rich.progress import TextColumn

from rafa_async._events import EventRecorder, EventSink
from rafa_async.app import ResolvedLLM, defaults, finished, open_llm, settings
from rafa_async.cli._app import out as console, progress_bar, start_logging
from rafa_async.cli._console import interrupted
from rafa_async.cli._interrupt import report_interrupted, run_until_interrupted
from rafa_async.cli._llm import llm_caption
from rafa_async.cli._options import (
    OUTPUT,
    Flag,
    ForceOption,
    LogFormat,
    LogFormatOption,
    LogLevelOption,
    OutOption,
    ProgressOption,
    TraceOption,
    option,
    option_group,
)
from rafa_async.cli._outputs import open_outputs, prepare_outputs
from rafa_async.cli._resume import Record, combined, read_results, stamped
from rafa_async.llm import LLM, MiddlewareStack

R = TypeVar("R", bound=msgspec.Struct)
C = TypeVar("C", bound=Callable[..., Any])
S = TypeVar("S")
T = TypeVar("T")
W = TypeVar("W", bound="Timed")
Counted = Callable[[Any], bool]
"""Whether a record (or a line of ``--out`` read back) counts in the bar's tally."""


@dataclass(frozen=True, slots=True)
class Outputs:
    """Where a run writes (``--out``, ``--trace``) and how (``--resume``,
    ``--force``, ``--progress``): the output options of ``rafa run`` and
    ``rafa play``."""

    out: Path | None = None
    trace: Path | None = None
    resume: bool = False
    force: bool = False
    progress: bool = True


OUTPUTS = Outputs()
"""The default of a command's ``outputs`` parameter, which
:func:`output_options` replaces by the options themselves."""

OUTPUT_FLAGS = (
    Flag("out_path", OutOption, None),
    Flag("trace", TraceOption, None),
    Flag(
        "resume",
        Annotated[
            bool,
            option(
                "Continue the results in --out (made with the same settings): skip the tasks "
                "or matches already there, append the others; the summary covers them all.",
                OUTPUT,
                "--resume",
            ),
        ],
        False,
    ),
    Flag("force", ForceOption, False),
    Flag("log_format", LogFormatOption, LogFormat.console),
    Flag("log_level", LogLevelOption, "warning"),
    Flag("progress", ProgressOption, True),
)


def _outputs(values: dict[str, Any]) -> Outputs:
    """The output options given; the logs start here, before anything else."""
    start_logging(values.pop("log_format"), values.pop("log_level"))
    return Outputs(out=values.pop("out_path"), **values)


def output_options(command: C) -> C:
    """Give a command the output options (and start its logs): it declares a
    parameter ``outputs: Outputs = OUTPUTS``, and is called with them there."""
    return option_group("outputs", OUTPUT_FLAGS, _outputs)(command)  # type: ignore[return-value]


def run_counted(
    main: Callable[[Callable[[R], None]], Awaitable[T]],
    *,
    caption: str,
    total: int,
    backend: str,
    progress: bool,
    done_before: int = 0,
    tally: tuple[str, Counted, int] | None = None,
    on_record: Callable[[R], None] | None = None,
) -> tuple[T | None, int]:
    """``main(record)`` on ``backend`` under a progress bar: ``main`` calls
    ``record`` with each record as it comes; the bar counts them from
    ``done_before`` of ``total``, and ``tally`` (a column's name, what it
    counts, its count before) adds a column.  Then ``on_record``.

    Returns ``main``'s result (``None`` if Ctrl-C stopped it) and how many
    records it gave."""
    name, counts, before = tally if tally is not None else ("", None, 0)
    columns = [TextColumn(f"{name} {{task.fields[{name}]}}")] if counts is not None else []
    bar = progress_bar(caption, *columns, enabled=progress)
    fields: dict[str, Any] = {name: before} if counts is not None else {}
    job = bar.add_task("run", total=total, completed=done_before, **fields)
    done = 0

    def record(result: R) -> None:
        nonlocal done
        done += 1
        if counts is not None:
            fields[name] += counts(result)
        bar.update(job, advance=1, **fields)
        if on_record is not None:
            on_record(result)

    async def run() -> T:
        return await main(record)

    with bar:
        return run_until_interrupted(run, backend), done


def run_whole(
    main: Callable[[Callable[[R], None]], Awaitable[T]],
    *,
    caption: str,
    total: int,
    unit: str,
    lost: str,
    backend: str,
    progress: bool,
    done_before: int = 0,
) -> T:
    """:func:`run_counted` for a command that writes its files when the whole
    run is done (a curve, a report): Ctrl-C ends it with one line (``N of
    TOTAL UNIT done, LOST``: what becomes of them) and exit status 130.
    ``done_before``: what an earlier run did (``rafa study paper --resume``),
    counted in N and by the bar."""
    result, done = run_counted(
        main,
        caption=caption,
        total=total,
        backend=backend,
        progress=progress,
        done_before=done_before,
    )
    if result is None:
        interrupted(f"interrupted: {done_before + done} of {total} {unit} done, {lost}")
    return result


class Timed(Protocol):
    """A run's summary: it says how long the run took."""

    @property
    def wall_s(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Served(Generic[R]):
    """What :meth:`Session.run_on_llm` gives a command's library call
    (``run_benchmark``, ``play_series``): the shared ``llm``; ``trace``,
    recording to ``--trace`` (``None`` without it); ``on_record``, to call
    with each record as it comes; ``sinks``, the command's own event files
    (``--log``); ``skip``, what ``--resume`` keeps."""

    llm: MiddlewareStack
    trace: EventRecorder | None
    on_record: Callable[[R], None]
    sinks: Sequence[EventSink | None]
    skip: Collection[str]


class Session(Generic[R]):
    """A run's output files and what ``--resume`` keeps of an earlier one.

    ``config`` is the run's settings; ``ignore`` those that change how fast
    it goes, not its results (``--resume`` may change them).  Every record
    is written with the others (:func:`~rafa_async.cli._resume.stamped`);
    ``key`` names a record's task or match, in a record or a line read back.
    """

    def __init__(
        self,
        config: msgspec.Struct,
        outputs: Outputs,
        *,
        events: Mapping[str, Path | None],
        ignore: Collection[str],
        record_type: type[R],
        key: Callable[[Any], str],
    ) -> None:
        out, resume = outputs.out, outputs.resume
        events = {**events, "--trace": outputs.trace}
        prepare_outputs(out, events, resume=resume, force=outputs.force)
        self.out = out
        self.trace = outputs.trace
        self.events = list(events.values())
        self.resume = resume
        self.progress = outputs.progress
        self.stamp = settings(config, ignore=ignore)
        self.record_type = record_type
        self.key = key
        self.kept: dict[str, Record] = (
            read_results(out, key=key, config=self.stamp, defaults=defaults(config, ignore=ignore))
            if resume and out is not None
            else {}
        )
        self.done_before = {task for task, record in self.kept.items() if finished(record)}
        """What ``--resume`` skips: tasks (matches) whose latest record is final."""

    def run(
        self,
        main: Callable[[Callable[[R], None], Sequence[EventSink | None]], Awaitable[T]],
        *,
        caption: str,
        total: int,
        backend: str,
        tally: tuple[str, Counted] | None = None,
    ) -> T:
        """``main(record, sinks)`` with the event files (in the order given)
        as sinks, each record written to ``--out`` as it comes, under a
        progress bar (see :func:`run_counted`; ``tally`` counts the kept
        records too).  Ctrl-C: one line saying how many are done, exit 130.

        A run stopped by a provider before any real result leaves ``--out``
        as it was: error records are held until one is written, or the run
        ends (see :meth:`~rafa_async.cli._outputs.LazyFile.write_line`)."""
        with ExitStack() as stack:
            results, sinks = open_outputs(stack, self.out, *self.events, append=self.resume)

            def write(record: R) -> None:
                if results is not None:
                    line = stamped(record, self.stamp)
                    results.write_line(line, held=getattr(record, "status", None) == "error")

            if tally is not None:
                name, counts = tally
                before = sum(counts(self.kept[task]) for task in self.done_before)
            ran, done = run_counted(
                lambda record: main(record, sinks),
                caption=caption,
                total=total,
                backend=backend,
                progress=self.progress,
                done_before=len(self.done_before),
                tally=(name, counts, before) if tally is not None else None,
                on_record=write,
            )
            if results is not None:
                results.release()  # not stopped by a provider that never answered
        if ran is None:
            report_interrupted(len(self.done_before) + done, total, self.out)
        return ran

    def run_on_llm(
        self,
        series: Callable[[Served[R]], Awaitable[tuple[list[R], W]]],
        resolved: ResolvedLLM,
        *,
        sim: Callable[[], LLM],
        seed: int,
        title: str,
        total: int,
        backend: str,
        summarize: Callable[[list[R], float], W],
        tally: tuple[str, Counted] | None = None,
    ) -> tuple[W, MiddlewareStack]:
        """``series`` under :meth:`run`, on the LLM ``resolved`` names
        (opened here with :func:`~rafa_async.app.open_llm`, ``sim()`` for
        the in-process sim; closed when ``series`` ends), the progress bar
        captioned ``title`` and the LLM.  Returns the summary of the whole
        ``--out`` (:meth:`whole`; ``summarize(records, wall)`` re-summarises
        with this run's wall time) and the LLM's stack, for its usage."""

        async def main(
            on_record: Callable[[R], None], sinks: Sequence[EventSink | None]
        ) -> tuple[list[R], W, MiddlewareStack]:
            *own, trace_sink = sinks  # Session opens --trace last
            trace = EventRecorder(trace_sink) if trace_sink is not None else None
            async with open_llm(
                resolved.options, sim=sim, recorder=trace, seed=seed, uses_llm=resolved.uses_llm
            ) as shared:
                records, summary = await series(
                    Served(shared, trace, on_record, own, self.done_before)
                )
            return records, summary, shared

        records, summary, shared = self.run(
            main,
            caption=f"[bold]{title}[/] [dim]({llm_caption(resolved)})[/]",
            total=total,
            backend=backend,
            tally=tally,
        )
        wall = summary.wall_s
        return self.whole(records, summary, lambda every: summarize(every, wall)), shared

    def print_files(self, *notes: str) -> None:
        """Where the results went, ``notes`` on other files, then the trace."""
        if self.out is not None:
            console.print(f"results: {self.out}")
        for note in notes:
            console.print(note)
        if self.trace is not None:
            console.print(f"trace: {self.trace}")

    def whole(self, records: Sequence[R], summary: S, summarize: Callable[[list[R]], S]) -> S:
        """The summary of the whole ``--out``: ``summary`` (of ``records``), or,
        when ``--resume`` kept earlier records, ``summarize`` of the latest
        record of every task: those kept, replaced by ``records``."""
        if not self.kept:
            return summary
        return summarize(combined(self.kept, records, self.record_type, self.key))
