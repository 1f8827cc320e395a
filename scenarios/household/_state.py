"""The household world: receptacles, objects, the desklamp, the task's goal, and
the state's text (what the agent sees and the simulated LLM reads back).

The whole room is visible in the state's text, closed receptacles included
(unlike ALFWorld, where a closed receptacle's contents are seen only after
opening it): the simulated LLM answers from its prompt alone, and its oracle
is an exact planner over the world that prompt describes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal, get_args

TaskType = Literal[
    "pick_and_place",
    "pick_clean_then_place",
    "pick_heat_then_place",
    "pick_cool_then_place",
    "look_at_obj_in_light",
    "pick_two_obj_and_place",
]
"""ALFWorld's six task types, by ALFWorld's names."""
TASK_TYPES: tuple[TaskType, ...] = get_args(TaskType)

Need = Literal["clean", "hot", "cool", "two", "light"]
"""A requirement of a goal beyond having some object in some receptacle."""

NEEDS: dict[TaskType, frozenset[Need]] = {
    "pick_and_place": frozenset(),
    "pick_clean_then_place": frozenset({"clean"}),
    "pick_heat_then_place": frozenset({"hot"}),
    "pick_cool_then_place": frozenset({"cool"}),
    "look_at_obj_in_light": frozenset({"light"}),
    "pick_two_obj_and_place": frozenset({"two"}),
}
MARKS: tuple[Need, ...] = ("clean", "hot", "cool")
"""The needs that are an object's condition (what cleaning, heating, cooling do)."""
APPLIANCE = {"clean": "sinkbasin", "hot": "microwave", "cool": "fridge"}
"""The receptacle type each condition is made with."""
VERB: dict[str, Literal["clean", "heat", "cool"]] = {
    "clean": "clean",
    "hot": "heat",
    "cool": "cool",
}
"""The command that makes each condition."""
OPENABLE = frozenset({"cabinet", "drawer", "fridge", "microwave", "safe"})
"""Receptacle types that open and close; closed, their contents are out of reach."""
INSIDE = OPENABLE | {"sinkbasin", "garbagecan"}
"""Receptacle types things are *in* (the rest: *on*)."""
HAND = "hand"
"""The place of the thing the agent holds."""
LAMP = "desklamp 1"


def kind_of(name: str) -> str:
    """``apple`` for ``apple 1``."""
    return name.rsplit(" ", 1)[0]


def preposition(receptacle: str) -> str:
    return "in" if kind_of(receptacle) in INSIDE else "on"


@dataclass(frozen=True, slots=True)
class Goal:
    """What the task asks: a type of object, a type of receptacle, and the needs.

    ``needs`` may be fewer than the task type's (:meth:`without`): the goal
    a model believes in when it forgot a requirement.
    """

    task_type: TaskType
    obj: str
    recep: str
    """A receptacle type; empty for ``look_at_obj_in_light``."""
    needs: frozenset[Need]

    @classmethod
    def of(cls, task_type: TaskType, obj: str, recep: str = "") -> Goal:
        return cls(task_type, obj, recep, NEEDS[task_type])

    def without(self, forgotten: frozenset[Need]) -> Goal:
        return replace(self, needs=self.needs - forgotten)

    @property
    def text(self) -> str:
        """The task as ALFWorld words it."""
        o, r = self.obj, self.recep
        return {
            "pick_and_place": f"put some {o} in {r}",
            "pick_clean_then_place": f"clean some {o} and put it in {r}",
            "pick_heat_then_place": f"heat some {o} and put it in {r}",
            "pick_cool_then_place": f"cool some {o} and put it in {r}",
            "look_at_obj_in_light": f"look at {o} under the desklamp",
            "pick_two_obj_and_place": f"find two {o} and put them in {r}",
        }[self.task_type]

    def requirement(self, need: Need) -> str:
        """How the environment states ``need`` when it is unmet (memory reads it back)."""
        if need == "two":
            return f"two {self.obj}s must be in the {self.recep}"
        if need == "light":
            return f"the {self.obj} must be held under the desklamp turned on"
        return f"the {self.obj} must be {need}"


_GOAL_RES: tuple[tuple[TaskType, re.Pattern[str]], ...] = (
    ("pick_clean_then_place", re.compile(r"^clean some (\w+) and put it in (\w+)$")),
    ("pick_heat_then_place", re.compile(r"^heat some (\w+) and put it in (\w+)$")),
    ("pick_cool_then_place", re.compile(r"^cool some (\w+) and put it in (\w+)$")),
    ("look_at_obj_in_light", re.compile(r"^look at (\w+) under the desklamp()$")),
    ("pick_two_obj_and_place", re.compile(r"^find two (\w+) and put them in (\w+)$")),
    ("pick_and_place", re.compile(r"^put some (\w+) in (\w+)$")),
)


def parse_goal(text: str) -> Goal:
    """The goal a task text (:attr:`Goal.text`) states; ``ValueError`` if none."""
    text = text.strip().rstrip(".").lower()
    for task_type, pattern in _GOAL_RES:
        match = pattern.match(text)
        if match:
            return Goal.of(task_type, match.group(1), match.group(2))
    raise ValueError(f"not a household task: {text!r}")


@dataclass(frozen=True, slots=True)
class Thing:
    """An object (``apple 1``), where it is (a receptacle, or :data:`HAND`), and
    its conditions (``clean``, ``hot``, ``cool``)."""

    name: str
    place: str
    marks: frozenset[Need] = frozenset()

    @property
    def kind(self) -> str:
        return kind_of(self.name)

    @property
    def text(self) -> str:
        marks = ", ".join(m for m in MARKS if m in self.marks)
        return f"a {self.name}" + (f" ({marks})" if marks else "")


@dataclass(frozen=True, slots=True)
class HouseState:
    """One moment of a household task: the whole room and the goal."""

    goal: Goal
    receptacles: tuple[str, ...]
    things: tuple[Thing, ...]
    """Sorted by name."""
    lamp: str
    """The receptacle the desklamp stands on."""
    at: str | None = None
    """The receptacle the agent is at; ``None``: the middle of the room."""
    opened: frozenset[str] = frozenset()
    lamp_on: bool = False

    @property
    def holding(self) -> Thing | None:
        return next((t for t in self.things if t.place == HAND), None)

    def thing(self, name: str) -> Thing | None:
        return next((t for t in self.things if t.name == name), None)

    def inside(self, receptacle: str) -> tuple[Thing, ...]:
        return tuple(t for t in self.things if t.place == receptacle)

    def is_open(self, receptacle: str) -> bool:
        """Whether ``receptacle``'s contents are in reach (open, or it does not close)."""
        return kind_of(receptacle) not in OPENABLE or receptacle in self.opened

    def with_thing(self, thing: Thing) -> HouseState:
        things = tuple(thing if t.name == thing.name else t for t in self.things)
        return replace(self, things=things)

    def contents_text(self, receptacle: str) -> str:
        items = [t.text for t in self.inside(receptacle)]
        if receptacle == self.lamp:
            items.insert(0, f"a {LAMP} ({'on' if self.lamp_on else 'off'})")
        return ", ".join(items) if items else "nothing"

    @property
    def text(self) -> str:
        """The state as the agent reads it (and :func:`parse_state` reads back).

        Remembered for the last few thousand states: the sim renders each
        state it judges once per option and per prompt."""
        return _render(self)


@lru_cache(maxsize=4096)
def _render(state: HouseState) -> str:
    where = f"You are at {state.at}." if state.at else "You are in the middle of the room."
    held = state.holding
    lines = [
        f"Your task is to: {state.goal.text}.",
        where,
        f"You are holding {held.text if held else 'nothing'}.",
    ]
    for r in state.receptacles:
        status = ""
        if kind_of(r) in OPENABLE:
            status = " (open)" if r in state.opened else " (closed)"
        lines.append(f"{preposition(r).title()} the {r}{status}: {state.contents_text(r)}.")
    return "\n".join(lines)


_RECEPTACLE_RE = re.compile(r"^(?:In|On) the (\w+ \d+)(?: \((open|closed)\))?: (.*)\.$")
_THING_RE = re.compile(r"^an? (\w+ \d+)(?: \(([\w, ]+)\))?$")
_ITEM_SEPARATOR = re.compile(r", (?=an? )")
"""Between two things on a receptacle line, not inside one's conditions
(``a mug 1 (clean, hot)``)."""


def parse_state(text: str) -> HouseState:
    """The state :attr:`HouseState.text` wrote; ``ValueError`` naming the first
    line it cannot read."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if len(lines) < 4 or not lines[0].startswith("Your task is to: "):
        raise ValueError("expected a household state starting 'Your task is to: ...'")
    goal = parse_goal(lines[0].removeprefix("Your task is to: "))
    at_match = re.match(r"^You are at (\w+ \d+)\.$", lines[1])
    at = at_match.group(1) if at_match else None
    if at is None and lines[1] != "You are in the middle of the room.":
        raise ValueError(f"cannot read where the agent is: {lines[1]!r}")
    held = lines[2].removeprefix("You are holding ").rstrip(".")
    things: list[Thing] = []
    if held != "nothing":
        things.append(_thing(held, HAND))
    receptacles: list[str] = []
    opened: set[str] = set()
    lamp, lamp_on = "", False
    for line in lines[3:]:
        match = _RECEPTACLE_RE.match(line)
        if match is None:
            raise ValueError(f"cannot read a receptacle line: {line!r}")
        name, status, items = match.groups()
        receptacles.append(name)
        if status == "open":
            opened.add(name)
        for item in _ITEM_SEPARATOR.split(items) if items != "nothing" else ():
            if item.startswith(f"a {LAMP} ("):
                lamp, lamp_on = name, item.endswith("(on)")
            else:
                things.append(_thing(item, name))
    if not lamp:
        raise ValueError("the state has no desklamp")
    return HouseState(
        goal=goal,
        receptacles=tuple(receptacles),
        things=tuple(sorted(things, key=lambda t: t.name)),
        lamp=lamp,
        at=at,
        opened=frozenset(opened),
        lamp_on=lamp_on,
    )


def _thing(text: str, place: str) -> Thing:
    match = _THING_RE.match(text.strip())
    if match is None:
        raise ValueError(f"cannot read an object: {text!r}")
    marks = frozenset(m.strip() for m in (match.group(2) or "").split(",") if m.strip())
    unknown = marks - set(MARKS)
    if unknown:
        raise ValueError(f"unknown condition {sorted(unknown)[0]!r} of {match.group(1)}")
    return Thing(match.group(1), place, marks)  # type: ignore[arg-type]


def satisfied(state: HouseState, goal: Goal) -> bool:
    """Whether ``state`` meets ``goal`` (with ``goal``'s needs, which may be fewer
    than its task type's)."""
    if goal.task_type == "look_at_obj_in_light":
        held = state.holding
        if held is None or held.kind != goal.obj:
            return False
        return "light" not in goal.needs or (state.lamp_on and state.at == state.lamp)
    marks = goal.needs & set(MARKS)
    placed = [
        t
        for t in state.things
        if t.kind == goal.obj and kind_of(t.place) == goal.recep and marks <= t.marks
    ]
    return len(placed) >= (2 if "two" in goal.needs else 1)


def unmet(state: HouseState, goal: Goal) -> tuple[Need, ...]:
    """The needs of ``goal`` still unmet once the rest of it is met (what the
    environment tells an agent that did only part of the task); empty otherwise."""
    if satisfied(state, goal):
        return ()
    missing = tuple(n for n in sorted(goal.needs) if satisfied(state, goal.without(frozenset({n}))))
    return missing if satisfied(state, goal.without(goal.needs)) else ()
