"""A STRIPS simulator over a parsed domain: which actions apply, what they do,
and -- for an action that does not apply -- which preconditions fail."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

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


class Strips:
    """The rules of one domain over one set of objects."""

    def __init__(self, domain: Domain, objects: tuple[str, ...]) -> None:
        self.domain = domain
        self.objects = objects

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
        schema = self._schema(action)
        binding = self._binding(schema, action)
        return [p for p in self._bind(schema.preconditions, binding) if p not in facts]

    def apply(self, facts: Facts, action: GroundAction, *, check: bool = True) -> Facts:
        """The state after ``action``; :class:`ValueError` if a precondition
        fails, unless ``check`` is off (then the effects apply regardless: what
        someone who misread the state would expect)."""
        failed = self.failed_preconditions(facts, action) if check else []
        if failed:
            raise ValueError(f"{action.pddl} does not apply: {failed[0]} does not hold")
        schema = self._schema(action)
        binding = self._binding(schema, action)
        deletes = set(self._bind(schema.deletes, binding))
        return frozenset((facts - deletes) | set(self._bind(schema.adds, binding)))

    def all_actions(self) -> Iterator[GroundAction]:
        """Every grounding of every operator over distinct objects, applicable or not."""
        for name, schema in sorted(self.domain.actions.items()):
            for args in itertools.permutations(self.objects, len(schema.parameters)):
                yield GroundAction(name, args)

    def applicable(self, facts: Facts) -> list[GroundAction]:
        return [a for a in self.all_actions() if not self.failed_preconditions(facts, a)]

    @staticmethod
    def satisfies(facts: Facts, goal: Facts) -> bool:
        return goal <= facts
