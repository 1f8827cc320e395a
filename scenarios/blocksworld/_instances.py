"""The BlocksWorld instances shipped with the package, and the two task sets.

``step_4`` (57 instances) and ``step_6`` (114) list the instances whose
optimal plans have 4 and 6 actions, each with a gold plan.  A task spec names
a set and optionally which of its instances, by position in the set
(1-based): ``step_4``, ``step_6:1-10``, ``step_4:1,5,9-12``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rafa_async import ConfigError

from .._ranges import parse_ranges
from ._language import config, parse_action, render_facts
from ._pddl import Atom, Domain, parse_domain, parse_problem
from ._strips import Facts, GroundAction, Strips

SETS = ("step_4", "step_6")
"""The task sets, by the name of their file."""

STEPS_PER_GOLD_ACTION = 2
"""An episode's interaction cap, per action of its gold plan (see :class:`Instance`)."""


@dataclass(frozen=True, slots=True)
class Instance:
    """One BlocksWorld task: blocks, start, goal, and the gold plan.

    ``max_steps`` is twice the gold plan's length.  The paper's code caps its
    episodes at the gold length (4 or 6), but it only ever executes actions
    drawn from the true list of legal ones; here an agent writes its actions,
    and an illegal one is refused at the cost of an interaction, so the cap
    leaves as much room again for mistakes.
    """

    number: int
    """The instance file's number (``instance-12.pddl``): the task id."""
    task_set: str
    position: int
    """1-based place in its set (what ``step_4:1-10`` selects)."""
    blocks: tuple[str, ...]
    init: Facts
    goal: Facts
    gold: tuple[GroundAction, ...]

    @property
    def id(self) -> str:
        return str(self.number)

    @property
    def text(self) -> str:
        return f"{self.task_set} #{self.position}: goal {render_facts(self.goal, ' and ')}"

    @property
    def max_steps(self) -> int:
        return STEPS_PER_GOLD_ACTION * len(self.gold)

    @property
    def rules(self) -> Strips:
        return rules(self.blocks)


def _data(*path: str) -> str:
    return resources.files(__package__).joinpath("data", *path).read_text(encoding="utf-8")


@cache
def domain() -> Domain:
    return parse_domain(_data("domain.pddl"))


@cache
def rules(blocks: tuple[str, ...]) -> Strips:
    """The domain's rules over ``blocks`` (one shared object per set of blocks,
    so the solver's cache is shared too)."""
    return Strips(domain(), blocks)


def _colour(atom: Atom, colours: dict[str, str]) -> Atom:
    return (atom[0], *(colours[x] for x in atom[1:]))


def _instance(task_set: str, position: int, row: list[object]) -> Instance:
    file, plan, length = row
    assert isinstance(file, str) and isinstance(plan, str) and isinstance(length, int)
    name = file.rsplit("/", 1)[-1]
    problem = parse_problem(_data("instances", name))
    colours = dict(config().colours)
    gold = tuple(parse_action(line) for line in plan.splitlines() if line.strip())
    if len(gold) != length:
        raise ValueError(f"{task_set}: {name}'s gold plan has {len(gold)} actions, not {length}")
    return Instance(
        number=int(name.removeprefix("instance-").removesuffix(".pddl")),
        task_set=task_set,
        position=position,
        blocks=tuple(colours[o] for o in problem.objects),
        init=frozenset(_colour(a, colours) for a in problem.init),
        goal=frozenset(_colour(a, colours) for a in problem.goal),
        gold=gold,
    )


@cache
def task_set(name: str) -> tuple[Instance, ...]:
    rows = json.loads(_data(f"{name}.json"))
    return tuple(_instance(name, i, row) for i, row in enumerate(rows, start=1))


def instances(spec: str) -> list[Instance]:
    """The instances ``spec`` names (``step_4``, ``step_6:1-10``), in order;
    :class:`~rafa_async.ConfigError` naming the problem otherwise."""
    name, sep, positions = spec.strip().partition(":")
    if name not in SETS:
        raise ConfigError(
            f"bad instances {spec!r}: {name!r} is not a task set (known: {', '.join(SETS)}; "
            "e.g. step_4 or step_6:1-10)"
        )
    chosen = task_set(name)
    if not sep:
        return list(chosen)
    picked = parse_ranges(positions, len(chosen), what=f"{name} positions", example="1-10")
    return [chosen[p - 1] for p in picked]
