"""``rafa bench``: run the benchmark suite into one JSON and a Markdown
summary; ``rafa bench compare A B``: the ratios of two such runs.

``rafa bench [NAMES...]`` is ``rafa bench run [NAMES...]``: the group runs
its ``run`` command unless the first word is one of its commands (so a
benchmark cannot be called ``run`` or ``compare``).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import JustifyMethod
from rich.table import Table
from typer._click.core import Context
from typer.core import TyperGroup

import rafa_async
from rafa_async._errors import ConfigError
from rafa_async.cli._app import app, err, fail, out, progress_bar
from rafa_async.cli._bench_compare import Comparison, compare, load
from rafa_async.cli._bench_report import combined, llm_column, markdown, write, write_json
from rafa_async.cli._bench_suite import Outcome, Script, describe_machine, discover, run_script
from rafa_async.cli._console import INTERRUPTED
from rafa_async.cli._interrupt import run_until_interrupted
from rafa_async.cli._options import OUTPUT, ForceOption, ProgressOption, option
from rafa_async.cli._outputs import check_outputs
from rafa_async.llm import SIM_LABEL

SUITE = "Suite"
WORKLOAD = "Provider workload (provider_latency)"
PROVIDER_WORKLOAD = "provider_latency"
DEFAULT_DIR = Path("benchmarks")
PACKAGE_DIR = Path(rafa_async.__file__).resolve().parent
"""Where rafa_async is installed: in a checkout (an editable install), the
suite is beside it."""
FAILED = 1


class BenchGroup(TyperGroup):
    """``rafa bench``: ``run`` unless the first word names another command."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ctx.help_option_names):
            args = ["run", *args]
        return super().parse_args(ctx, args)


bench = typer.Typer(
    cls=BenchGroup,
    help="Run the latency benchmarks (benchmarks/*.py) into one JSON + Markdown; compare runs.",
)
app.add_typer(bench, name="bench")


def suite_dir(given: Path | None) -> Path:
    """``--dir``, else ./benchmarks, else the checkout's beside an editable
    install; one ``error:`` line if there is none."""
    if given is not None:
        if not given.is_dir():
            fail(f"--dir {given}: no such directory")
        return given
    for candidate in (DEFAULT_DIR, PACKAGE_DIR.parent / DEFAULT_DIR):
        if candidate.is_dir():
            return candidate
    fail(
        "no benchmarks/ directory here: the suite ships with the source, not the wheel; "
        "run rafa bench from a rafa-async checkout, or give --dir DIR"
    )


def select(scripts: dict[str, Script], names: list[str]) -> list[Script]:
    """The named benchmarks (each once, in the order given), or the suite."""
    if not names:
        return [s for s in scripts.values() if s.in_suite]
    unknown = [n for n in names if n not in scripts]
    if unknown:
        known = ", ".join(scripts) or "none"
        fail(f"unknown benchmark {', '.join(map(repr, unknown))}; known: {known}")
    return [scripts[n] for n in dict.fromkeys(names)]


def workload_args(**options: Any) -> list[str]:
    """The provider options given, as provider_latency's arguments."""
    arguments: list[str] = []
    for name, value in options.items():
        if value is None:
            continue
        flag = "--" + name.replace("_", "-")
        if isinstance(value, bool):
            arguments.append(flag if value else flag.replace("--", "--no-", 1))
        else:
            arguments += [flag, str(value)]
    return arguments


def list_scripts(scripts: dict[str, Script], directory: Path) -> None:
    table = Table(title=f"benchmarks in {directory}", title_justify="left")
    for column in ("name", "default suite", "what it measures"):
        table.add_column(column)
    for s in scripts.values():
        table.add_row(s.name, "yes" if s.in_suite else "only when named", s.summary)
    out.print(table)


def outcome_table(outcomes: list[Outcome]) -> Table:
    table = Table(title="rafa bench", title_justify="left")
    for column in ("benchmark", "result"):
        table.add_column(column)
    table.add_column("seconds", justify="right")
    table.add_column("LLM")
    for o in outcomes:
        result = "ok" if o.ok else f"[red]FAILED[/] ({o.problem})"
        table.add_row(o.name, result, f"{o.seconds:.1f}", llm_column(o))
    return table


@bench.command("run")
def run_bench(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            help="Benchmarks to run (default: the suite; see --list).", show_default=False
        ),
    ] = None,
    directory: Annotated[
        Path | None, option("The benchmark scripts (default: ./benchmarks).", SUITE, "--dir")
    ] = None,
    list_only: Annotated[bool, option("List the benchmarks and exit.", SUITE, "--list")] = False,
    quick: Annotated[
        bool, option("Runs of seconds (each script's --quick): a smoke test.", SUITE)
    ] = False,
    out_file: Annotated[
        Path, option("The combined JSON of every benchmark and the machine.", OUTPUT, "--out")
    ] = Path("bench.json"),
    markdown_file: Annotated[
        Path | None,
        option("The Markdown summary (default: --out with .md).", OUTPUT, "--markdown"),
    ] = None,
    force: ForceOption = False,
    progress: ProgressOption = True,
    provider: Annotated[
        str | None, option("PROVIDER[:MODEL], as for rafa run (default: sim).", WORKLOAD)
    ] = None,
    base_url: Annotated[str | None, option("Override the provider's base URL.", WORKLOAD)] = None,
    send_intent: Annotated[
        bool | None,
        option(
            "Send each request's structured intent (for a rafa sim-serve endpoint).",
            WORKLOAD,
            "--send-intent/--no-send-intent",
            show_default=False,
        ),
    ] = None,
    requests: Annotated[
        int | None, option("Requests in all [default: 400].", WORKLOAD, min=1, show_default=False)
    ] = None,
    concurrency: Annotated[
        int | None, option("Requests in flight [default: 16].", WORKLOAD, min=1, show_default=False)
    ] = None,
) -> None:
    """Run benchmarks/*.py (or the ones named), each alone, into one JSON and a Markdown summary.

    Every script runs with this Python, writes its own JSON (never over
    benchmarks/results/), and the figures go into --out with the machine's
    description.  A failing script is reported and the others still run;
    the exit status is then 1.

    Example: rafa bench provider_latency --provider openai:sim --base-url
    http://127.0.0.1:8000/v1 --send-intent --out a.json
    """
    directory = suite_dir(directory)
    scripts = discover(directory)
    if list_only:
        list_scripts(scripts, directory)
        return
    chosen = select(scripts, names or [])
    if not chosen:
        fail(f"no benchmarks in {directory} (scripts benchmarks/NAME.py)")
    extra = workload_args(
        provider=provider,
        base_url=base_url,
        send_intent=send_intent,
        requests=requests,
        concurrency=concurrency,
    )
    if extra and PROVIDER_WORKLOAD not in [s.name for s in chosen]:
        fail(
            f"{extra[0]} applies only to {PROVIDER_WORKLOAD}: name it, e.g. rafa bench "
            f"{PROVIDER_WORKLOAD} {extra[0]} ..."
        )
    markdown_file = markdown_file or out_file.with_suffix(".md")
    check_outputs({"--out": out_file, "--markdown": markdown_file}, resume=False, force=force)

    machine = describe_machine(directory.resolve().parent)
    outcomes: list[Outcome] = []

    async def main() -> None:
        with progress_bar("rafa bench", enabled=progress) as bar:
            task = bar.add_task("", total=len(chosen))
            for script in chosen:
                bar.update(task, description=script.name)
                args = extra if script.name == PROVIDER_WORKLOAD else []
                outcomes.append(await run_script(script, quick=quick, extra=args))
                bar.advance(task)

    stopped = run_until_interrupted(main, "trio") is None and len(outcomes) < len(chosen)
    if outcomes:
        settings = {"dir": str(directory), "names": [s.name for s in chosen], "quick": quick}
        results = combined(machine, settings, outcomes, interrupted=stopped)
        write_json(out_file, results)
        write(markdown_file, markdown(results, outcomes, scripts))
        out.print(outcome_table(outcomes))
        if any(llm_column(o) == "SIMULATED" for o in outcomes):
            out.print(f"SIMULATED = {SIM_LABEL}", highlight=False)
    for o in outcomes:
        if not o.ok:
            err.print(f"[red]{o.name} failed[/]: {o.problem}", highlight=False)
            for line in o.stderr_tail:
                err.print(f"  {line}", highlight=False, markup=False)
    where = f"{out_file} and {markdown_file}"
    if stopped:
        kept = f"results in {where}" if outcomes else "nothing written"
        err.print(f"interrupted: {len(outcomes)} of {len(chosen)} done, {kept}", highlight=False)
        raise typer.Exit(INTERRUPTED)
    out.print(f"wrote {where}", highlight=False)
    if not all(o.ok for o in outcomes):
        raise typer.Exit(FAILED)


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def print_comparison(result: Comparison, a: Path, b: Path) -> None:
    machine = Table(title="machines", title_justify="left")
    for column in ("", f"a: {a}", f"b: {b}"):
        machine.add_column(column, overflow="fold")
    for key in dict.fromkeys([*result.machine_a, *result.machine_b]):
        machine.add_row(key, str(result.machine_a.get(key, "")), str(result.machine_b.get(key, "")))
    out.print(machine)
    for side, names in (("a", result.simulated_a), ("b", result.simulated_b)):
        if names:
            out.print(f"{side}: {', '.join(names)}: {SIM_LABEL}", highlight=False)
    figures = Table(
        title=f"{len(result.figures)} figures in both (ratio = b / a)", title_justify="left"
    )
    for column in ("figure", "a", "b", "b / a", "better", "reading"):
        justify: JustifyMethod = "left" if column in ("figure", "better") else "right"
        figures.add_column(column, justify=justify, overflow="fold")
    for f in result.figures:
        colour = {"b better": "green", "b worse": "red"}.get(f.verdict, "")
        reading = f"[{colour}]{f.verdict}[/]" if colour else f.verdict
        ratio = "-" if f.ratio is None else f"{f.ratio:.3f}"
        figures.add_row(f.key, _number(f.a), _number(f.b), ratio, f.better or "", reading)
    if result.differing_texts:
        texts = Table(title="what differs (text)", title_justify="left")
        for column in ("key", "a", "b"):
            texts.add_column(column, overflow="fold")
        for row in result.differing_texts:
            texts.add_row(*row)
        out.print(texts)
    out.print(figures)
    for side, keys in (("a", result.only_a), ("b", result.only_b)):
        if keys:
            out.print(
                f"only in {side} ({len(keys)}): {', '.join(keys)}", highlight=False, soft_wrap=True
            )
    out.print(
        "better: read off the figure's name (a time or latency: lower; per_s, speedup: higher); "
        "blank where the name does not say.",
        highlight=False,
    )


@bench.command("compare")
def compare_runs(
    a: Annotated[Path, typer.Argument(help="The baseline: a rafa bench JSON.", show_default=False)],
    b: Annotated[Path, typer.Argument(help="The run to compare with it.", show_default=False)],
    as_json: Annotated[bool, option("Print the comparison as JSON.", OUTPUT, "--json")] = False,
    match: Annotated[
        str | None, option("Only the figures whose key contains this text.", OUTPUT)
    ] = None,
) -> None:
    """Compare two rafa bench results: each figure in both, a, b, b / a; the machines side by side.

    Example: rafa bench compare before.json after.json --match p99
    """
    try:
        result = compare(load(a), load(b))
    except ConfigError as error:
        fail(error)
    if match is not None:
        result = replace(
            result,
            figures=[f for f in result.figures if match in f.key],
            only_a=[k for k in result.only_a if match in k],
            only_b=[k for k in result.only_b if match in k],
        )
    if as_json:
        out.file.write(json.dumps(result.as_json(a, b), indent=2) + "\n")
        return
    print_comparison(result, a, b)
