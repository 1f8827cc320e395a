"""A STRIPS simulator over a parsed domain: which actions apply, what they do,
and -- for an action that does not apply -- which preconditions fail."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from ._pddl import ActionSchema, Atom, Domain

Facts = frozenset[Atom]
"""A state: the ground atoms that hold (closed world)."""


@dataclass(frozen=True, slots=True, order=True)
class GroundAction:
    """An operator applied to objects: ``GroundAction("unstack", ("blue", "orange"))``."""

    name: str
    args: tuple[str, ...]

    @property
    def pddl(self) -> str:
        """``(unstack blue orange)``: the plan files' form."""
        return f"({' '.join((self.name, *self.args))})"


@dataclass(frozen=True, slots=True)
class _Compiled:
    """A ground action's atoms, bound once: the solver asks for them millions of times."""

    preconditions: tuple[Atom, ...]
    needs: Facts
    adds: Facts
    deletes: Facts


class Strips:
    """The rules of one domain over one set of objects.

    Every ground action's preconditions and effects are bound once, on first
    use, so :meth:`applicable` is a subset test per action and :meth:`apply`
    two set operations (the exact planner runs them for every state it
    visits).  An action outside :meth:`all_actions` (a repeated object, from
    a model's text) is bound when it is asked about.
    """

    def __init__(self, domain: Domain, objects: tuple[str, ...]) -> None:
        self.domain = domain
        self.objects = objects

    @cached_property
    def _ground(self) -> dict[GroundAction, _Compiled]:
        """Every action of :meth:`all_actions`, in its order, compiled."""
        return {action: self._compile(action) for action in self.all_actions()}

    def _compiled(self, action: GroundAction) -> _Compiled:
        compiled = self._ground.get(action)
        return compiled if compiled is not None else self._compile(action)

    def _compile(self, action: GroundAction) -> _Compiled:
        schema = self._schema(action)
        binding = self._binding(schema, action)
        preconditions = tuple(self._bind(schema.preconditions, binding))
        return _Compiled(
            preconditions=preconditions,
            needs=frozenset(preconditions),
            adds=frozenset(self._bind(schema.adds, binding)),
            deletes=frozenset(self._bind(schema.deletes, binding)),
        )

    def _schema(self, action: GroundAction) -> ActionSchema:
        schema = self.domain.actions.get(action.name)
        if schema is None:
            raise KeyError(f"no action {action.name!r} in domain {self.domain.name}")
        return schema

    @staticmethod
    def _bind(atoms: tuple[Atom, ...], binding: dict[str, str]) -> list[Atom]:
        return [(a[0], *(binding.get(x, x) for x in a[1:])) for a in atoms]

    def _binding(self, schema: ActionSchema, action: GroundAction) -> dict[str, str]:
        if len(action.args) != len(schema.parameters):
            raise ValueError(
                f"{action.name} takes {len(schema.parameters)} argument(s), got {len(action.args)}"
            )
        return dict(zip(schema.parameters, action.args, strict=True))

    def failed_preconditions(self, facts: Facts, action: GroundAction) -> list[Atom]:
        """The preconditions of ``action`` that do not hold in ``facts`` (none: it applies)."""
        return [p for p in self._compiled(action).preconditions if p not in facts]

    def apply(self, facts: Facts, action: GroundAction, *, check: bool = True) -> Facts:
        """The state after ``action``; :class:`ValueError` if a precondition
        fails, unless ``check`` is off (then the effects apply regardless: what
        someone who misread the state would expect)."""
        compiled = self._compiled(action)
        if check and not compiled.needs <= facts:
            failed = self.failed_preconditions(facts, action)
            raise ValueError(f"{action.pddl} does not apply: {failed[0]} does not hold")
        return frozenset((facts - compiled.deletes) | compiled.adds)

    def all_actions(self) -> Iterator[GroundAction]:
        """Every grounding of every operator over distinct objects, applicable or not."""
        for name, schema in sorted(self.domain.actions.items()):
            for args in itertools.permutations(self.objects, len(schema.parameters)):
                yield GroundAction(name, args)

    def applicable(self, facts: Facts) -> list[GroundAction]:
        """The actions whose preconditions hold in ``facts``, in :meth:`all_actions`' order."""
        return [a for a, compiled in self._ground.items() if compiled.needs <= facts]

    def successors(self, facts: Facts) -> Iterator[tuple[GroundAction, Facts]]:
        """Each applicable action with the state it leads to."""
        for action, compiled in self._ground.items():
            if compiled.needs <= facts:
                yield action, frozenset((facts - compiled.deletes) | compiled.adds)

    @staticmethod
    def satisfies(facts: Facts, goal: Facts) -> bool:
        return goal <= facts
