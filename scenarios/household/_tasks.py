"""The shipped household tasks: 10 of each of ALFWorld's six types, and the
seeded generator that made them.

The tasks live in ``data/tasks.json`` (each one's starting room, as the
agent reads it), so they stay the same whatever happens to the generator;
a test checks the generator still makes exactly that file.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from functools import cache
from importlib import resources

from rafa_async import ConfigError

from ._planner import distance
from ._state import (
    TASK_TYPES,
    Goal,
    HouseState,
    TaskType,
    Thing,
    kind_of,
    parse_state,
)

PER_TYPE = 10
"""Tasks of each type shipped."""

_OBJECTS: dict[TaskType, tuple[str, ...]] = {
    "pick_and_place": ("book", "cellphone", "keychain", "mug", "pen", "soapbar", "spraybottle"),
    "pick_clean_then_place": ("apple", "lettuce", "mug", "plate", "potato", "tomato"),
    "pick_heat_then_place": ("apple", "bread", "egg", "mug", "potato", "tomato"),
    "pick_cool_then_place": ("apple", "bread", "cup", "lettuce", "potato", "tomato"),
    "look_at_obj_in_light": ("alarmclock", "book", "cd", "keychain", "pen", "pencil"),
    "pick_two_obj_and_place": ("book", "cd", "keychain", "pen", "soapbar", "spraybottle"),
}
_DISTRACTORS = ("bowl", "candle", "fork", "knife", "saltshaker", "spatula", "vase", "watch")
_ALWAYS = ("countertop 1", "fridge 1", "microwave 1", "sinkbasin 1")
_EXTRAS = (
    "cabinet 1", "cabinet 2", "countertop 2", "diningtable 1", "drawer 1", "drawer 2",
    "garbagecan 1", "shelf 1",
)  # fmt: skip
_NOT_TARGETS = frozenset({"microwave", "sinkbasin"})


@dataclass(frozen=True, slots=True)
class HouseholdTask:
    """One task: its rank (1-60), its type, its number within the type, its start."""

    rank: int
    task_type: TaskType
    number: int
    start: HouseState

    @property
    def id(self) -> str:
        """``pick_and_place-3``: the episode is ``household-pick_and_place-3``."""
        return f"{self.task_type}-{self.number}"

    @property
    def text(self) -> str:
        return self.start.goal.text


def generate(task_type: TaskType, number: int) -> HouseState:
    """The start of task ``number`` of ``task_type``, from a seed naming both."""
    rng = random.Random(f"household/{task_type}/{number}")
    lamp_on = rng.choice(("desk 1", "sidetable 1"))
    receptacles = sorted({*_ALWAYS, lamp_on, *rng.sample(_EXTRAS, rng.randint(2, 4))})
    obj = rng.choice(_OBJECTS[task_type])
    targets = [r for r in receptacles if kind_of(r) not in _NOT_TARGETS | {kind_of(lamp_on)}]
    recep = "" if task_type == "look_at_obj_in_light" else kind_of(rng.choice(targets))
    if task_type == "pick_cool_then_place" and recep == "fridge":
        recep = "countertop"
    goal = Goal.of(task_type, obj, recep)
    sources = [r for r in receptacles if kind_of(r) != recep]
    count = 2 if task_type == "pick_two_obj_and_place" else 1
    count += rng.random() < 0.4
    kinds = [obj] * count + rng.sample(_DISTRACTORS, rng.randint(2, 3))
    numbers: dict[str, int] = {}
    things = []
    for kind in kinds:
        numbers[kind] = numbers.get(kind, 0) + 1
        things.append(Thing(f"{kind} {numbers[kind]}", rng.choice(sources)))
    return HouseState(
        goal=goal,
        receptacles=tuple(receptacles),
        things=tuple(sorted(things, key=lambda t: t.name)),
        lamp=lamp_on,
    )


def generate_all() -> list[dict[str, object]]:
    """Every shipped task as ``data/tasks.json`` holds it."""
    rows: list[dict[str, object]] = []
    for task_type in TASK_TYPES:
        for number in range(1, PER_TYPE + 1):
            start = generate(task_type, number)
            rows.append({"task_type": task_type, "number": number, "start": start.text})
    return rows


@cache
def all_tasks() -> tuple[HouseholdTask, ...]:
    data = resources.files(__package__).joinpath("data", "tasks.json").read_text(encoding="utf-8")
    tasks = []
    for rank, row in enumerate(json.loads(data), start=1):
        start = parse_state(row["start"])
        tasks.append(HouseholdTask(rank, start.goal.task_type, int(row["number"]), start))
    return tuple(tasks)


def select(spec: str) -> list[HouseholdTask]:
    """The tasks ``spec`` names, in rank order, each once: comma-separated parts,
    each ``all``, a task type (``pick_and_place``), a task id
    (``pick_and_place-3``), a rank or a range of ranks (``1-60``).

    Raises :class:`ConfigError` naming the bad part.
    """
    tasks = all_tasks()
    by_id = {t.id: t for t in tasks}
    chosen: set[int] = set()
    for part in (p.strip() for p in spec.split(",")):
        if part == "all":
            chosen.update(t.rank for t in tasks)
        elif part in TASK_TYPES:
            chosen.update(t.rank for t in tasks if t.task_type == part)
        elif part in by_id:
            chosen.add(by_id[part].rank)
        else:
            chosen.update(_ranks(spec, part, len(tasks)))
    return [t for t in tasks if t.rank in chosen]


def _ranks(spec: str, part: str, total: int) -> range:
    lo_text, sep, hi_text = part.partition("-")
    try:
        lo = int(lo_text)
        hi = int(hi_text) if sep else lo
    except ValueError:
        types = ", ".join(TASK_TYPES)
        raise ConfigError(
            f"bad household task selection {spec!r}: {part!r} is not all, a task type "
            f"({types}), a task id like pick_and_place-3, or ranks N or N-M"
        ) from None
    if not 1 <= lo <= hi <= total:
        raise ConfigError(
            f"bad household task selection {spec!r}: {part!r} must satisfy 1 <= N <= M <= {total}"
        )
    return range(lo, hi + 1)


def check(start: HouseState) -> None:  # pragma: no cover - used when regenerating
    """Refuse a start that is already solved or cannot be solved."""
    d = distance(start)
    if not d:
        raise ValueError(f"unusable task (distance {d}): {start.goal.text}")


if __name__ == "__main__":  # pragma: no cover - regenerates data/tasks.json
    print(json.dumps(generate_all(), indent=1))
