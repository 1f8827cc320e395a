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

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from pathlib import Path

import msgspec
import typer

from rafa_async._errors import RafaError
from rafa_async._events import Event, log_digest
from rafa_async._plural import plural
from rafa_async.app import (
    LLMOptions,
    MatchRecord,
    PlayConfig,
    ReplayCheck,
    ResolvedLLM,
    matches_to_replay,
    open_llm,
    read_match_log,
    replay_matches,
    uses_llm,
)
from rafa_async.cli._app import fail, given, out, sim_latency
from rafa_async.cli._interrupt import report_interrupted
from rafa_async.cli._llm import (
    LLM_FIELDS,
    check_llm,
    llm_caption,
    print_llm_usage,
    refuse_sim_options,
)
from rafa_async.cli._options import Backend
from rafa_async.cli._session import run_counted
from rafa_async.llm import MiddlewareStack
from rafa_async.scenarios import simulated_llm

APPLIES = frozenset(
    {"replay_log", *LLM_FIELDS, "latency_scale", "backend", "progress", "log_format", "log_level"}
)
"""The ``rafa play`` parameters that apply to a replay (see the module's doc)."""


def replay_series(
    context: typer.Context,
    path: Path,
    llm: LLMOptions,
    *,
    backend: Backend,
    latency_scale: float,
    progress: bool,
) -> None:
    """Replay the log at ``path`` with the ``rafa play`` options that apply;
    print one line per match and a count.  Ctrl-C cancels the replay."""
    _refuse_series_options(context)
    try:
        config, recorded = read_match_log(path)
    except RafaError as error:
        fail(error)
    llm_seats = any(uses_llm(kind) for kind in config.seats.values())
    if not given(context, "provider"):
        if llm_seats and config.provider != "sim" and llm.replay is None:
            fail(
                f"{path} was recorded with provider {config.provider!r}: pass --replay-llm "
                f"CASSETTE (the cassette recorded with it) to replay it offline, or --provider "
                f"{config.provider} to re-run it live"
            )
        # The log's provider, so results and costs are labelled as recorded;
        # a series without LLM players calls none (the sim stands by).
        llm = msgspec.structs.replace(llm, provider=config.provider if llm_seats else "sim")
    if llm.max_concurrency is None:
        llm = msgspec.structs.replace(llm, max_concurrency=config.llm_concurrency)
    resolved = check_llm(llm, backend=backend.value)
    refuse_sim_options(context, resolved)
    latency = sim_latency(latency_scale) if given(context, "latency_scale") else config.latency
    sim = partial(simulated_llm, seed=config.seed, noise=config.noise, latency=latency)
    training, evaluation = matches_to_replay(config, recorded)
    digests = {match: log_digest(events) for match, events in recorded.items()}
    total = len(training) + len(evaluation)

    def different(record: MatchRecord) -> bool:
        return digests.get(record.match) not in (None, record.digest)

    async def main(
        on_match: Callable[[MatchRecord], None],
    ) -> tuple[list[ReplayCheck], MiddlewareStack]:
        async with open_llm(llm, sim=sim, recorder=None, seed=config.seed) as stack:
            checks = await replay_matches(config, recorded, llm=stack, on_match=on_match)
        return checks, stack

    ran, done = run_counted(
        main,
        caption=f"[bold]replay {config.game}[/] [dim]({llm_caption(resolved)})[/]",
        total=total,
        backend=backend.value,
        progress=progress,
        tally=("different", different, 0),
    )
    if ran is None:
        report_interrupted(done, total, None)
    checks, stack = ran
    _print_checks(checks, config, recorded, backend, resolved)
    if llm_seats:
        print_llm_usage(stack, resolved)
    if any(check.status == "different" for check in checks):
        raise typer.Exit(1)


def _print_checks(
    checks: Sequence[ReplayCheck],
    config: PlayConfig,
    recorded: Mapping[str, Sequence[Event]],
    backend: Backend,
    llm: ResolvedLLM,
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
        f"({llm_caption(llm)}): {counts['identical']} identical, {counts['different']} "
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
