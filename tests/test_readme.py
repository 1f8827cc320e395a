"""The README is tested: its snippets run, its commands parse, its claims hold.

- Every ```python block runs verbatim, each on its own, in an empty working
  folder.  A block that talks to ``rafa sim-serve`` reads the server's URL
  from ``RAFA_SIM_URL`` (default ``http://127.0.0.1:8000/v1``, the port the
  README starts it on); the test starts a real ``rafa sim-serve`` on a free
  loopback port and sets the variable, so the text runs unchanged.
- Every ``rafa ...`` line of a ```sh block (continuations joined, comments and
  a trailing ``&`` dropped) and every inline ```rafa ... --option``` span
  parses with the real command line: an unknown option or a bad value fails.
  The lines that are cheap run for real, in order, in one folder per block:
  ``rafa --help``, ``rafa scenarios``, ``rafa providers`` and every sim
  ``rafa run`` / ``rafa play`` whose text says ``--latency-scale 0`` (and a
  ``--replay`` of a log such a line wrote); they must succeed and say
  SIMULATED.  The others (real providers, ``sim-serve``, full-length runs)
  are only parsed.
- ``make`` targets exist; the ``make demo`` output block has the rows and
  labels ``rafa run`` prints (a short run: numbers and timings aside), and its
  numbers are the recorded benchmark's for the same run.
- Every option of every command is mentioned, and the fields listed for the
  ``--out`` files are the records' fields: a new option or field fails here
  until the README documents it.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
import typer
from support import Server, rafa, serving

from rafa_async.app import MatchRecord
from rafa_async.cli import app
from rafa_async.llm import SIM_LABEL
from rafa_async.scenarios.game24 import Game24Record

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
CLI = typer.main.get_command(app)


@dataclass(frozen=True)
class Block:
    lang: str
    text: str
    line: int
    """Line of the opening fence in README.md."""


def blocks(lang: str) -> list[Block]:
    return [
        Block(m.group(1), m.group(2), README.count("\n", 0, m.start()) + 1)
        for m in FENCE.finditer(README)
        if m.group(1) == lang
    ]


def ids(items: list[Any]) -> list[str]:
    return [f"README.md:{item.line}" for item in items]


# -- python --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim_server() -> Iterator[Server]:
    with serving("--latency-scale", "0") as running:
        yield running


PYTHON = blocks("python")


@pytest.mark.parametrize("block", PYTHON, ids=ids(PYTHON))
def test_python_snippet_runs_verbatim(
    block: Block,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    monkeypatch.chdir(tmp_path)
    if "RAFA_SIM_URL" in block.text:
        server: Server = request.getfixturevalue("sim_server")
        monkeypatch.setenv("RAFA_SIM_URL", server.base_url)
    code = compile(block.text, f"README.md:{block.line}", "exec")
    exec(code, {"__name__": "__readme__"})
    printed = capsys.readouterr().out
    if "simulated" in block.text.lower() and "print(" in block.text:
        assert printed, "the snippet prints nothing"


# -- sh: rafa command lines ----------------------------------------------------------


@dataclass(frozen=True)
class Command:
    args: list[str]
    text: str
    line: int
    block: int


def commands(block: Block) -> Iterator[Command]:
    """The ``rafa`` lines of an sh block (``.venv/bin/rafa``, ``uv run rafa``)."""
    logical = re.sub(r"\\\n\s*", " ", block.text)
    for offset, text in enumerate(logical.splitlines()):
        words = shlex.split(text, comments=True)
        if words and words[-1] == "&":
            words.pop()
        while words[:2] == ["uv", "run"] or (words and words[0].startswith("--")):
            words = words[2:] if words[:2] == ["uv", "run"] else words[1:]
        if words and Path(words[0]).name == "rafa":
            yield Command(words[1:], " ".join(words), block.line + 1 + offset, block.line)


SH = blocks("sh")
COMMANDS = [command for block in SH for command in commands(block)]


def parse(args: list[str]) -> None:
    """Parse ``rafa ARGS`` as the command line would, without running it:
    raises (usage error) on an unknown command or option or a bad value."""
    try:
        if not args or args[0].startswith("-"):
            CLI.make_context("rafa", list(args))
            return
        name, *rest = args
        with CLI.make_context("rafa", [name]) as context:
            command = CLI.get_command(context, name)
            if command is None:
                raise LookupError(f"no such command {name!r}")
            command.make_context(name, rest, parent=context)
    except typer.Exit as done:  # --help (or --version) parsed and answered
        assert done.exit_code == 0


@pytest.mark.parametrize("command", COMMANDS, ids=ids(COMMANDS))
def test_sh_command_parses(command: Command) -> None:
    parse(command.args)


def test_a_bad_option_or_value_fails_the_parse() -> None:
    for bad in (["play", "--nosuch"], ["run", "game24", "--beam", "x"], ["nosuch"]):
        with pytest.raises(Exception, match=r"(?i)no such|valid integer"):
            parse(bad)


def cheap(command: Command, logs: set[str]) -> bool:
    """Whether to run it for real (see the module's doc)."""
    args = command.args
    if args[:1] in (["--help"], ["scenarios"], ["providers"]):
        return True
    on_sim = not {"--provider", "--base-url", "--config", "--replay-llm"} & set(args)
    if not on_sim or args[:1] not in (["run"], ["play"]):
        return False
    if "--replay" in args:
        return args[args.index("--replay") + 1] in logs
    return "--latency-scale 0" in " ".join(args)


@pytest.mark.parametrize("block", SH, ids=ids(SH))
def test_cheap_sh_commands_run_and_say_simulated(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    logs: set[str] = set()
    for command in commands(block):
        if not cheap(command, logs):
            continue
        result = rafa(*command.args)
        assert result.exit_code == 0, f"README.md:{command.line}: {command.text}\n{result.output}"
        if command.args[0] in ("run", "play"):
            assert "simulated" in result.output.lower(), command.text
        if "--log" in command.args:
            logs.add(command.args[command.args.index("--log") + 1])


def test_some_sh_commands_run_for_real() -> None:
    logs = {"matches.jsonl"}
    ran = [c.text for c in COMMANDS if cheap(c, logs) and c.args[0] in ("run", "play")]
    assert len(ran) >= 3, ran


INLINE = re.compile(r"`(rafa [^`]*)`")


@pytest.mark.parametrize("span", sorted(set(INLINE.findall(README))))
def test_inline_rafa_commands_parse(span: str) -> None:
    args = shlex.split(span)[1:]
    if any(arg.startswith("--") for arg in args) or len(args) > 1:
        parse(args)
    else:
        with CLI.make_context("rafa", list(args)) as context:
            assert CLI.get_command(context, args[0]) is not None, span


# -- make ----------------------------------------------------------------------------

MAKEFILE = (ROOT / "Makefile").read_text()


@pytest.mark.parametrize("target", sorted(set(re.findall(r"^make (\w+)", README, re.M))))
def test_make_targets_exist(target: str) -> None:
    assert re.search(rf"^{target}:", MAKEFILE, re.MULTILINE), target


def demo_args() -> list[str]:
    recipe = re.search(r"^demo:.*\n\t(.*)$", MAKEFILE, re.MULTILINE)
    assert recipe is not None
    words = shlex.split(recipe.group(1))
    return words[words.index("rafa") + 1 :]


def test_the_readme_names_the_demo_command_the_makefile_runs() -> None:
    assert f"`rafa {' '.join(demo_args())}`" in README


def shape(text: str) -> list[str]:
    """Lines without numbers, padding or rules: the rows and their labels."""
    lines = []
    for line in text.splitlines():
        line = re.sub(r"\d+(\.\d+)?", "N", line)
        line = re.sub(r"[━─┏┓┗┛┡┩└┘┳┻╇┴┬]+", "", line)
        line = " ".join(line.replace("┃", "│").split())
        if line and line != "│ │":
            lines.append(line)
    return lines


def demo_block() -> str:
    found = [m.group(2) for m in FENCE.finditer(README) if m.group(2).startswith(SIM_LABEL)]
    assert len(found) == 1, "one output block starting with the sim label"
    return found[0]


def test_the_demo_output_block_has_the_real_rows_and_labels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    args = demo_args()
    args[args.index("--puzzles") + 1] = "901-903"  # the same run, shorter
    result = rafa(*args, "--latency-scale", "0", "--no-progress")
    assert result.exit_code == 0, result.output
    assert shape(demo_block()) == shape(result.stdout)


def test_the_demo_output_block_has_the_recorded_benchmarks_numbers() -> None:
    recorded = json.loads((ROOT / "benchmarks/results/game24_results.json").read_text())
    # make demo is rafa b=1 with seed 0: the first of the recorded seeds.
    assert recorded["seeds"][0] == 0
    run = next(row["summaries"][0] for row in recorded["rows"] if row["run"] == "rafa b=1")
    rows = dict(re.findall(r"│ (\w[\w /()]*?) +│ (.*?) +│", demo_block()))
    assert rows["tasks"] == f"{run['episodes']} (ranks {recorded['tasks']})"
    assert rows["solved"] == str(run["solved"])
    assert rows["success rate"].startswith(f"{run['success_rate']:.1%} ")
    assert rows["mean env steps"] == f"{run['mean_env_steps']:.2f}"
    assert rows["LLM calls"] == f"{run['llm_calls']} ({run['llm_calls_per_episode']:.1f} per task)"
    assert rows["tokens"] == str(run["tokens"])


# -- options and record fields ---------------------------------------------------------


def commands_of(group: Any, path: str) -> Iterator[tuple[str, Any]]:
    """(path, command) of ``group`` and of every command beneath it, sub-groups too."""
    yield path, group
    for name, command in getattr(group, "commands", {}).items():
        yield from commands_of(command, f"{path} {name}")


def options() -> Iterator[tuple[str, list[str]]]:
    """(command, the spellings of one option) for every option of every command."""
    for name, command in commands_of(CLI, "rafa"):
        for param in command.params:
            if param.param_type_name == "option" and param.name != "help":
                yield name, [*param.opts, *getattr(param, "secondary_opts", [])]


def test_every_option_of_every_command_is_documented() -> None:
    missing = sorted(
        {
            f"{command} {spellings[0]}"
            for command, spellings in options()
            if not any(re.search(rf"{s}(?![\w-])", README) for s in spellings)
        }
    )
    assert missing == []


def listed_fields(after: str) -> set[str]:
    """The backticked names of the sentence that follows ``after``."""
    start = README.index(after) + len(after)
    sentence = README[start : README.index(".", start)]
    return set(re.findall(r"`(\w+)`", sentence))


@pytest.mark.parametrize(
    ("record", "after"),
    [(Game24Record, "one line per puzzle with"), (MatchRecord, "one line per match with")],
)
def test_the_fields_of_out_files_are_documented(record: type[msgspec.Struct], after: str) -> None:
    assert listed_fields(after) == set(record.__struct_fields__)


def test_files_of_the_layout_exist() -> None:
    layout = README[README.index("## Layout") :]
    names = re.findall(r"^ *([\w./]+?\.py)\b", layout, re.MULTILINE)
    assert names
    tops = ("rafa_async", "scenarios", "adapters", "benchmarks", "docs")
    missing = [name for name in names if not [p for t in tops for p in (ROOT / t).rglob(name)]]
    assert missing == []
