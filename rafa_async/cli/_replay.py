"""``rafa play --replay LOG``: re-run a recorded series and check every match.

The log decides the series: its first ``MatchStarted`` holds the
:class:`~rafa_async.app.PlayConfig` (game, seats, seed, episodes, ...), so
the options that would set the series (a game, ``--x``, ``--episodes``,
``--seed``, ...) are refused, as are the output files (``--out``, ``--log``,
``--trace``).  What applies is how to answer the LLM calls and how to run:

- ``--replay-llm CASSETTE``: answer every call from the cassette recorded with
  the log, offline.  ``--provider`` (with ``--config``, ``--base-url``,
  ``--send-intent``, ...): re-run live on that provider.  With neither, the
  log's own provider: the sim runs in process; a real provider needs one of
  the two (one error line says so).
- ``--latency-scale`` (the sim's latency; default: the recorded one),
  ``--max-concurrency`` (default: the recorded one), ``--rpm``, ``--tpm``,
  ``--cache``, ``--record-llm``, ``--stream``, ``--transport``, ``--backend``,
  ``--progress``, ``--log-format``, ``--log-level``.

A match the log holds completely is ``identical`` or ``different``; one it
holds only the start of (a run cut short) is ``incomplete`` and not re-run.
Exit status 1 only when a match is different.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path

import typer
from rich.progress import TextColumn

from rafa_async._errors import RafaError
from rafa_async._events import Event, log_digest
from rafa_async._plural import plural
from rafa_async.app import (
    MatchRecord,
    PlayConfig,
    ReplayCheck,
    matches_to_replay,
    read_match_log,
    replay_matches,
    uses_llm,
)
from rafa_async.cli._app import Backend, fail, given, out, progress_bar, sim_latency
from rafa_async.cli._interrupt import report_interrupted, run_until_interrupted
from rafa_async.cli._llm import (
    LLMChoice,
    TransportChoice,
    choose_llm,
    llm_caption,
    open_llm,
    print_llm_usage,
    refuse_sim_options,
)
from rafa_async.llm import MiddlewareStack
from rafa_async.scenarios import simulated_llm

APPLIES = frozenset(
    {
        "replay",
        "provider",
        "config_file",
        "base_url",
        "max_concurrency",
        "rpm",
        "tpm",
        "send_intent",
        "max_consecutive_failures",
        "cache",
        "record_llm",
        "replay_llm",
        "stream",
        "transport",
        "latency_scale",
        "backend",
        "progress",
        "log_format",
        "log_level",
    }
)
"""The ``rafa play`` parameters that apply to a replay (see the module's doc)."""


def replay_series(
    context: typer.Context,
    path: Path,
    *,
    backend: Backend,
    provider: str,
    config_file: Path | None,
    base_url: str | None,
    max_concurrency: int | None,
    rpm: float | None,
    tpm: float | None,
    send_intent: bool | None,
    max_consecutive_failures: int | None,
    cache: Path | None,
    record_llm: Path | None,
    replay_llm: Path | None,
    stream: bool,
    transport: TransportChoice,
    latency_scale: float,
    progress: bool,
) -> None:
    """Replay the log at ``path`` with the ``rafa play`` options that apply;
    print one line per match and a count.  Ctrl-C cancels the replay."""
    _refuse_series_options(context)

    def set_here(name: str) -> bool:
        return given(context, name)

    try:
        config, recorded = read_match_log(path)
    except RafaError as error:
        fail(error)
    llm_seats = any(uses_llm(kind) for kind in config.seats.values())
    if not set_here("provider"):
        if llm_seats and config.provider != "sim" and replay_llm is None:
            fail(
                f"{path} was recorded with provider {config.provider!r}: pass --replay-llm "
                f"CASSETTE (the cassette recorded with it) to replay it offline, or --provider "
                f"{config.provider} to re-run it live"
            )
        # The log's provider, so results and costs are labelled as recorded;
        # a series without LLM players calls none (the sim stands by).
        provider = config.provider if llm_seats else "sim"
    choice = choose_llm(
        provider,
        config_file,
        base_url=base_url,
        max_concurrency=max_concurrency if set_here("max_concurrency") else config.llm_concurrency,
        rpm=rpm,
        tpm=tpm,
        send_intent=send_intent,
        max_consecutive_failures=max_consecutive_failures,
        cache=cache,
        record=record_llm,
        replay=replay_llm,
        stream=stream,
        transport=transport,
        backend=backend.value,
    )
    refuse_sim_options(context, choice)
    latency = sim_latency(latency_scale) if set_here("latency_scale") else config.latency
    sim = partial(simulated_llm, seed=config.seed, noise=config.noise, latency=latency)
    training, evaluation = matches_to_replay(config, recorded)
    digests = {match: log_digest(events) for match, events in recorded.items()}
    bar = progress_bar(
        f"[bold]replay {config.game}[/] [dim]({llm_caption(choice)})[/]",
        TextColumn("different {task.fields[different]}"),
        enabled=progress,
    )
    total = len(training) + len(evaluation)
    job = bar.add_task("replay", total=total, different=0)
    different = done = 0

    def on_match(record: MatchRecord) -> None:
        nonlocal different, done
        different += digests.get(record.match) not in (None, record.digest)
        done += 1
        bar.update(job, advance=1, different=different)

    async def main() -> tuple[list[ReplayCheck], MiddlewareStack]:
        async with open_llm(choice, sim=sim, recorder=None, seed=config.seed) as llm:
            checks = await replay_matches(config, recorded, llm=llm, on_match=on_match)
        return checks, llm

    with bar:
        ran = run_until_interrupted(main, backend.value)
    if ran is None:
        report_interrupted(done, total, None)
    checks, llm = ran
    _print_checks(checks, config, recorded, backend, choice)
    if llm_seats:
        print_llm_usage(llm, choice)
    if any(check.status == "different" for check in checks):
        raise typer.Exit(1)


def _print_checks(
    checks: Sequence[ReplayCheck],
    config: PlayConfig,
    recorded: Mapping[str, Sequence[Event]],
    backend: Backend,
    choice: LLMChoice,
) -> None:
    shown = {
        "identical": "[green]ok[/]",
        "different": "[bold red]MISMATCH[/]",
        "incomplete": "[yellow]incomplete[/]",
    }
    # soft_wrap: each a single line whatever the terminal's width (grep, scripts).
    for check in checks:
        note = "" if check.complete else " (the log ends before the match does: not re-run)"
        out.print(
            f"{check.match}: {shown[check.status]} {check.recorded[:16]}{note}",
            highlight=False,
            soft_wrap=True,
        )
    counts = {status: sum(c.status == status for c in checks) for status in shown}
    out.print(
        f"checked {plural(len(checks), 'match', 'matches')} of {config.game} on {backend.value} "
        f"({llm_caption(choice)}): {counts['identical']} identical, {counts['different']} "
        f"different, {counts['incomplete']} incomplete",
        highlight=False,
        soft_wrap=True,
    )
    series = config.train + config.episodes
    if len(recorded) < series:
        out.print(
            f"the log holds {len(recorded)} of the series' {series} matches (it was cut short)",
            highlight=False,
            soft_wrap=True,
        )


def _refuse_series_options(context: typer.Context) -> None:
    """One error line naming every option given that a replay cannot honour."""
    refused = [
        param.name.upper() if param.param_type_name == "argument" else "/".join(param.opts)
        for param in context.command.params
        if param.name is not None and param.name not in APPLIES and given(context, param.name)
    ]
    if refused:
        fail(
            f"{', '.join(refused)} cannot be used with --replay: the log sets the game, the "
            "seats and the series; a replay takes the LLM options (--replay-llm, --provider, "
            "...), --latency-scale, --backend, --progress and the logging options"
        )
