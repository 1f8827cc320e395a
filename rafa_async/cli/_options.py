"""The options several ``rafa`` commands take, declared once, and the help panels.

A command declares an option as ``name: Annotated[type, option(help, PANEL)]
= default``; the options that mean the same in several commands (the output
files, the backend, the progress bar, the sim's latency, the logs) are
declared here once, as the type aliases ``...Option``.  (The LLM options are
:mod:`rafa_async.cli._llm`'s.)
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, ParamSpec, TypeVar

import typer

from rafa_async._errors import ConfigError
from rafa_async.app import AGENT_KINDS, SWITCHING_KINDS, EstimatorKind, LearnKind, PlannerKind

AGENT = "Agent and search"
TASKS = "Tasks"
SIM = "Simulated LLM"
EXECUTION = "Execution"
OUTPUT = "Output"


P = ParamSpec("P")
R = TypeVar("R")


def option(help: str, panel: str, *names: str, **extra: Any) -> Any:
    """A typer option in the help panel ``panel`` (``names``: its flags,
    when not the parameter's name)."""
    return typer.Option(*names, help=help, rich_help_panel=panel, **extra)


if TYPE_CHECKING:
    AgentName = str
else:  # the agents' names, as the choices of --agent
    AgentName = Literal[tuple(AGENT_KINDS)]


class Backend(StrEnum):
    trio = "trio"
    asyncio = "asyncio"


class LogFormat(StrEnum):
    console = "console"
    json = "json"


NGenerateOption = Annotated[int, option("Proposals sampled per frontier node and level.", AGENT)]
NEvaluateOption = Annotated[int, option("Value samples per candidate state.", AGENT)]
BeamOption = Annotated[int, option("States kept per level (the paper's b).", AGENT)]
PuzzlesOption = Annotated[
    str | None,
    option(
        "game24's puzzles, by rank: 901-1000 (the paper's test split; the default), 5, or 1-3,10.",
        TASKS,
    ),
]
InstancesOption = Annotated[
    str | None,
    option(
        "The tasks of a benchmark other than game24 (blocksworld: step_4 (the default), "
        "step_6, or positions in a set: step_4:1-10).",
        TASKS,
    ),
]


HouseholdTasksOption = Annotated[
    str | None,
    option(
        "Household tasks (comma-separated): all (the default), a task type "
        "(pick_and_place, pick_clean_then_place, pick_heat_then_place, pick_cool_then_place, "
        "look_at_obj_in_light, pick_two_obj_and_place), a task id (pick_and_place-3), "
        "or ranks (1-60).",
        TASKS,
        "--tasks",
    ),
]
TASK_SELECTORS: dict[str, tuple[str, ...]] = {
    "--puzzles": ("game24",),
    "--tasks": ("household",),
}
"""The task selectors that only some scenarios read, and which; every other
scenario reads ``--instances``."""


def task_spec(scenario: str, selectors: dict[str, str | None]) -> str | None:
    """The task spec of a run of ``scenario``: the value of the selector it
    reads (``None``: the scenario's default); :class:`ConfigError` naming a
    selector given to a scenario that does not read it."""
    mine = next((opt for opt, names in TASK_SELECTORS.items() if scenario in names), "--instances")
    for opt, value in selectors.items():
        if value is not None and opt != mine:
            raise ConfigError(f"{opt} does not apply to {scenario}; select its tasks with {mine}")
    return selectors.get(mine)


SWITCHING_HELP = (
    f"When RAFA refreshes the memory snapshot it plans from: {', '.join(SWITCHING_KINDS)}. "
    "every-step is the paper's; commit-plan (our extension) keeps executing a plan while it "
    "holds and replans with the full memory when it fails or runs out."
)
SwitchingOption = Annotated[str, option(SWITCHING_HELP, AGENT)]
InfoThresholdOption = Annotated[
    float,
    option("info-gain: switch once the evidence since the last switch exceeds this (nats).", AGENT),
]
InfoEstimatorOption = Annotated[
    EstimatorKind,
    option(
        "info-gain: P(outcome) from the model's reported confidence (the sim's belief; "
        "else the proxy), or the proxy alone: the agreement of the evaluation samples.",
        AGENT,
    ),
]
LearnOption = Annotated[
    LearnKind,
    option(
        "What RAFA stores per step: the raw feedback, or also a lesson the LLM draws from it "
        "(one reflect call per step).",
        AGENT,
    ),
]
MemoryOption = Annotated[
    bool,
    option(
        "--no-memory: RAFA stores nothing it observes and plans every step from an empty "
        "memory (the ablation of learning; rafa only).",
        AGENT,
        "--memory/--no-memory",
    ),
]
INFO_THRESHOLD = math.log(2)
"""``--info-threshold``'s default: the theory's log 2 nats."""
INFO_GAIN_OPTIONS = ("info_threshold", "info_estimator")
"""Options only ``--switching info-gain`` reads."""
PlannerOption = Annotated[
    PlannerKind,
    option(
        "The agent's tree search: beam (Tree of Thoughts) or mcts (RAP-style Monte Carlo "
        "tree search, concurrent simulations with virtual loss).",
        AGENT,
    ),
]
MctsSimulationsOption = Annotated[int, option("mcts: simulations per plan.", AGENT)]
MctsConcurrencyOption = Annotated[
    int, option("mcts: simulations run at once (virtual loss spreads them).", AGENT)
]
MctsCOption = Annotated[
    float, option("mcts: UCT's exploration constant (rewards scaled to [0, 1]).", AGENT)
]
LogFormatOption = Annotated[LogFormat, option("Log renderer on stderr.", OUTPUT)]
LogLevelOption = Annotated[str, option("debug, info, warning or error.", OUTPUT)]
BackendOption = Annotated[Backend, option("Async library to run on.", EXECUTION)]
LatencyScaleOption = Annotated[float, option("Scale the sim's latency (0 = instant).", SIM)]
ProgressOption = Annotated[bool, option("Show a progress bar (on a terminal).", OUTPUT)]
OutOption = Annotated[
    Path | None,
    option(
        "Write one JSON line per result here, as each ends ('-': stdout, and the table "
        "goes to stderr).",
        OUTPUT,
        "--out",
    ),
]
TraceOption = Annotated[
    Path | None,
    option("Write every event (plans, LLM calls, transitions) as JSON lines.", OUTPUT),
]
ForceOption = Annotated[
    bool,
    option(
        "Overwrite output files that exist (without it, a non-empty one is refused).",
        OUTPUT,
        "--force",
    ),
]


@dataclass(frozen=True, slots=True)
class Flag:
    """One option of a group: the parameter (and field) it sets, its typer
    declaration (``Annotated[type, option(...)]``) and its default."""

    name: str
    annotation: Any
    default: Any


def option_group(
    parameter: str, flags: Sequence[Flag], make: Callable[[dict[str, Any]], Any]
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Give a command the options ``flags`` in place of its parameter
    ``parameter``, and call it with ``make(values)`` there (values: each
    flag's, by name).  A group is declared once and shared by the commands
    that take it (the LLM options, the output options)."""

    def decorate(command: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(command, eval_str=True)
        parameters: list[inspect.Parameter] = []
        for declared in signature.parameters.values():
            if declared.name != parameter:
                parameters.append(declared.replace(kind=inspect.Parameter.KEYWORD_ONLY))
                continue
            parameters += [
                inspect.Parameter(
                    flag.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=flag.annotation,
                    default=flag.default,
                )
                for flag in flags
            ]

        @functools.wraps(command)
        def with_group(*args: P.args, **kwargs: P.kwargs) -> R:
            kwargs[parameter] = make({flag.name: kwargs.pop(flag.name) for flag in flags})
            return command(*args, **kwargs)

        with_group.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        with_group.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_group

    return decorate
