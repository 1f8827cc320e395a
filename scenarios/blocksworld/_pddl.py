"""A small reader for the STRIPS subset of PDDL the BlocksWorld files use.

Why not a PDDL library: these files need only S-expressions, ``:parameters``,
conjunctions of positive atoms as preconditions, and ``and``/``not`` effects;
a general parser (the ``pddl`` package and its ``lark`` grammar) would be a new
dependency, and a new pin in every lock file, for some sixty lines.  Anything
outside that subset is refused with a :class:`PddlError` naming it, never
silently read as something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SExpr = str | list["SExpr"]
"""An atom, or a parenthesised list of S-expressions."""

Atom = tuple[str, ...]
"""A predicate and its arguments: ``("on", "?ob", "?underob")`` or ``("on", "a", "b")``."""

_TOKEN_RE = re.compile(r"[()]|[^\s()]+")


class PddlError(ValueError):
    """A PDDL text this reader cannot use; the message names the problem."""


def parse_sexpr(text: str) -> SExpr:
    """The one S-expression in ``text`` (``;`` comments dropped, case folded)."""
    text = "\n".join(line.split(";", 1)[0] for line in text.lower().splitlines())
    stack: list[list[SExpr]] = [[]]
    for token in _TOKEN_RE.findall(text):
        if token == "(":
            stack.append([])
        elif token == ")":
            if len(stack) == 1:
                raise PddlError("unbalanced ')'")
            done = stack.pop()
            stack[-1].append(done)
        else:
            stack[-1].append(token)
    if len(stack) != 1:
        raise PddlError(f"{len(stack) - 1} unclosed '('")
    if len(stack[0]) != 1:
        raise PddlError(f"expected one S-expression, found {len(stack[0])}")
    return stack[0][0]


@dataclass(frozen=True, slots=True)
class ActionSchema:
    """A STRIPS operator: parameters, positive preconditions, add and delete lists."""

    name: str
    parameters: tuple[str, ...]
    preconditions: tuple[Atom, ...]
    adds: tuple[Atom, ...]
    deletes: tuple[Atom, ...]


@dataclass(frozen=True, slots=True)
class Domain:
    name: str
    predicates: dict[str, int]
    """Each predicate's arity."""
    actions: dict[str, ActionSchema]


@dataclass(frozen=True, slots=True)
class Problem:
    name: str
    objects: tuple[str, ...]
    init: frozenset[Atom]
    goal: frozenset[Atom]


def _list(expr: SExpr, what: str) -> list[SExpr]:
    if not isinstance(expr, list):
        raise PddlError(f"expected a list for {what}, got {expr!r}")
    return expr


def _atom(expr: SExpr, what: str) -> Atom:
    items = _list(expr, what)
    if not items or not all(isinstance(x, str) for x in items):
        raise PddlError(f"expected an atom for {what}, got {expr!r}")
    return tuple(str(x) for x in items)


def _conjunction(expr: SExpr, what: str) -> tuple[list[Atom], list[Atom]]:
    """The positive and the negated atoms of an atom or an ``(and ...)``."""
    items = _list(expr, what)
    parts = items[1:] if items and items[0] == "and" else [items]
    positive: list[Atom] = []
    negative: list[Atom] = []
    for part in parts:
        part_items = _list(part, what)
        if part_items and part_items[0] == "not":
            if len(part_items) != 2:
                raise PddlError(f"'not' takes one atom in {what}")
            negative.append(_atom(part_items[1], what))
        elif part_items and part_items[0] in ("or", "forall", "exists", "when", "imply"):
            raise PddlError(f"{part_items[0]!r} in {what} is outside the STRIPS subset")
        else:
            positive.append(_atom(part, what))
    return positive, negative


def _sections(items: list[SExpr]) -> dict[str, list[SExpr]]:
    """The ``(:key ...)`` lists of a define form, by key."""
    found: dict[str, list[SExpr]] = {}
    for item in items:
        if isinstance(item, list) and item and isinstance(item[0], str) and item[0][:1] == ":":
            found[item[0]] = item
    return found


def _define(text: str, kind: str) -> tuple[str, list[SExpr]]:
    expr = _list(parse_sexpr(text), "the file")
    if len(expr) < 2 or expr[0] != "define":
        raise PddlError("expected (define ...)")
    head = _list(expr[1], f"the {kind} name")
    if len(head) != 2 or head[0] != kind or not isinstance(head[1], str):
        raise PddlError(f"expected ({kind} <name>)")
    return head[1], expr[2:]


def _action(items: list[SExpr]) -> ActionSchema:
    name = items[1]
    if not isinstance(name, str):
        raise PddlError(f"an action's name must be a word, got {name!r}")
    fields: dict[str, SExpr] = {}
    rest = items[2:]
    for key, value in zip(rest[::2], rest[1::2], strict=False):
        if not isinstance(key, str) or key[:1] != ":":
            raise PddlError(f"action {name}: expected :parameters/:precondition/:effect")
        fields[key] = value
    parameters = tuple(str(p) for p in _list(fields.get(":parameters", []), "parameters"))
    pre, negated = _conjunction(fields.get(":precondition", ["and"]), f"{name}'s precondition")
    if negated:
        raise PddlError(f"action {name}: negative preconditions are outside the STRIPS subset")
    adds, deletes = _conjunction(fields.get(":effect", ["and"]), f"{name}'s effect")
    return ActionSchema(name, parameters, tuple(pre), tuple(adds), tuple(deletes))


def parse_domain(text: str) -> Domain:
    name, body = _define(text, "domain")
    sections = _sections(body)
    predicates = {
        atom[0]: len(atom) - 1
        for atom in (_atom(p, "a predicate") for p in sections.get(":predicates", [])[1:])
    }
    actions: dict[str, ActionSchema] = {}
    for item in body:
        if isinstance(item, list) and item and item[0] == ":action":
            action = _action(item)
            actions[action.name] = action
    if not actions:
        raise PddlError(f"domain {name} has no actions")
    return Domain(name, predicates, actions)


def parse_problem(text: str) -> Problem:
    name, body = _define(text, "problem")
    sections = _sections(body)
    for key in (":objects", ":init", ":goal"):
        if key not in sections:
            raise PddlError(f"problem {name} has no {key}")
    objects = tuple(str(o) for o in sections[":objects"][1:])
    init = frozenset(_atom(a, "the initial state") for a in sections[":init"][1:])
    if len(sections[":goal"]) != 2:
        raise PddlError(f"problem {name}: :goal takes one formula")
    goal, negated = _conjunction(sections[":goal"][1], "the goal")
    if negated:
        raise PddlError(f"problem {name}: negative goals are outside the STRIPS subset")
    return Problem(name, objects, init, frozenset(goal))
