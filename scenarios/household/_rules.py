"""What each command does to the household world, or why it cannot.

:func:`apply` is the one place the rules live: the environment steps with
it, the world model predicts with it, and the planner searches with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from ._commands import Command
from ._state import (
    APPLIANCE,
    HAND,
    LAMP,
    MARKS,
    OPENABLE,
    VERB,
    HouseState,
    Need,
    Thing,
    kind_of,
    preposition,
)


class Refusal(ValueError):
    """A command that cannot be done here; the message says why."""


def apply(state: HouseState, command: Command) -> tuple[HouseState, str]:
    """The state after ``command`` and what the agent observes;
    :class:`Refusal` (state unchanged) saying why it cannot be done."""
    verb, first, second = command.verb, command.first, command.second
    if verb == "go":
        _receptacle(state, first)
        if state.at == first:
            raise Refusal(f"you are already at the {first}")
        return replace(state, at=first), f"You arrive at {first}. {_view(state, first)}"
    if verb in ("open", "close"):
        _here(state, first)
        if kind_of(first) not in OPENABLE:
            raise Refusal(f"the {first} does not open or close")
        if (first in state.opened) == (verb == "open"):
            raise Refusal(f"the {first} is already {'open' if verb == 'open' else 'closed'}")
        if verb == "close":
            return replace(state, opened=state.opened - {first}), f"You close the {first}."
        opened = replace(state, opened=state.opened | {first})
        return (
            opened,
            f"You open the {first}. The {first} is open. In it, you see {_seen(opened, first)}.",
        )
    if verb == "take":
        _reachable(state, second)
        if state.holding is not None:
            raise Refusal(
                f"you are already holding the {state.holding.name}; put it somewhere first"
            )
        thing = state.thing(first)
        if thing is None or thing.place != second:
            raise Refusal(f"there is no {first} {preposition(second)} the {second}")
        taken = state.with_thing(replace(thing, place=HAND))
        return taken, f"You pick up the {first} from the {second}."
    if verb == "put":
        held = _held(state, first)
        _reachable(state, second)
        placed = state.with_thing(replace(held, place=second))
        return placed, f"You put the {first} {preposition(second)} the {second}."
    if verb in ("clean", "heat", "cool"):
        mark: Need = {"clean": "clean", "heat": "hot", "cool": "cool"}[verb]  # type: ignore[assignment]
        held = _held(state, first)
        if kind_of(second) != APPLIANCE[mark]:
            raise Refusal(f"you cannot {verb} with the {second}; use a {APPLIANCE[mark]}")
        _here(state, second)
        marks = (held.marks - {"hot", "cool"} if mark != "clean" else held.marks) | {mark}
        done = state.with_thing(replace(held, marks=marks))
        return done, f"You {verb} the {first} using the {second}."
    if verb == "use":
        if first != LAMP:
            raise Refusal(f"the {first} cannot be used; only the {LAMP} can")
        _here(state, state.lamp, what=f"the {LAMP} (on the {state.lamp})")
        if state.lamp_on:
            raise Refusal(f"the {LAMP} is already on")
        return replace(state, lamp_on=True), f"You turn on the {LAMP}."
    if verb == "examine":
        return state, _examine(state, first)
    if verb == "inventory":
        carried = state.holding
        if carried is None:
            return state, "You are not carrying anything."
        return state, f"You are carrying: {carried.text}."
    where = f"You are facing the {state.at}. {_view(state, state.at)}" if state.at else ""
    return state, where or f"You are in the middle of a room. You see {_list(state.receptacles)}."


def _list(names: tuple[str, ...]) -> str:
    return ", ".join(f"a {n}" for n in names)


def _seen(state: HouseState, receptacle: str) -> str:
    return state.contents_text(receptacle)


def _view(state: HouseState, receptacle: str) -> str:
    if not state.is_open(receptacle):
        return f"The {receptacle} is closed."
    prep = preposition(receptacle).title()
    return f"{prep} the {receptacle}, you see {_seen(state, receptacle)}."


def _examine(state: HouseState, name: str) -> str:
    held = state.holding
    if held is not None and held.name == name:
        marks = [m for m in MARKS if m in held.marks]
        return f"This is a {name}" + (f"; it is {' and '.join(marks)}." if marks else ".")
    if name in state.receptacles:
        _here(state, name)
        return _view(state, name)
    if name == LAMP:
        _here(state, state.lamp, what=f"the {LAMP} (on the {state.lamp})")
        return f"The {LAMP} is {'on' if state.lamp_on else 'off'}."
    thing = state.thing(name)
    if thing is None:
        raise Refusal(f"there is no {name} here")
    _reachable(state, thing.place)
    marks = [m for m in MARKS if m in thing.marks]
    return f"This is a {name}" + (f"; it is {' and '.join(marks)}." if marks else ".")


def _receptacle(state: HouseState, name: str) -> None:
    if name not in state.receptacles:
        raise Refusal(f"there is no {name} in this room")


def _here(state: HouseState, receptacle: str, *, what: str = "") -> None:
    _receptacle(state, receptacle)
    if state.at != receptacle:
        raise Refusal(f"you are not at {what or 'the ' + receptacle}; go to {receptacle} first")


def _reachable(state: HouseState, receptacle: str) -> None:
    _here(state, receptacle)
    if not state.is_open(receptacle):
        raise Refusal(f"the {receptacle} is closed; open it first")


def _held(state: HouseState, name: str) -> Thing:
    held = state.holding
    if held is None or held.name != name:
        raise Refusal(f"you are not holding the {name}")
    return held


def admissible(state: HouseState) -> Iterator[Command]:
    """Every command that changes the world here (what ALFWorld lists as
    admissible, without ``examine``, ``look`` and ``inventory``)."""
    for r in state.receptacles:
        if r != state.at:
            yield Command("go", r)
    at, held = state.at, state.holding
    if at is None:
        return
    if kind_of(at) in OPENABLE:
        yield Command("close" if at in state.opened else "open", at)
    if state.is_open(at):
        if held is None:
            for t in state.inside(at):
                yield Command("take", t.name, at)
        else:
            yield Command("put", held.name, at)
    if held is not None:
        for mark, appliance in APPLIANCE.items():
            if kind_of(at) == appliance:
                yield Command(VERB[mark], held.name, at)
    if at == state.lamp and not state.lamp_on:
        yield Command("use", LAMP)
