"""Natural language for BlocksWorld: states, goals and actions as the paper's
prompts word them (``bw_config``'s text and colour names), and back.

Blocks are named by colour everywhere (``blue``), as in the gold plans'
``(unstack blue orange)``; the instance files' letters (``a``, ``b``) are
mapped to colours once, when an instance is read.  Reading is tolerant (case,
articles, ``block``, ``from on top of`` / ``off``, the PDDL form) and strict
about content: an unknown colour or phrase is a :class:`LanguageError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

from ._pddl import Atom
from ._strips import Facts, GroundAction

_ORDER = ("clear", "handempty", "holding", "on", "ontable")
"""The order facts are listed in (the paper's: clear blocks, the hand, stacks, table)."""

_NEGATED = {
    "clear": "the {} is not clear",
    "ontable": "the {} is not on the table",
    "handempty": "the hand is not empty",
    "holding": "the hand is not holding the {}",
    "on": "the {} is not on top of the {}",
}
"""How a refusal words a precondition that does not hold."""

_HOLDING = "the hand is holding the {}"
"""``bw_config`` has no text for ``holding``; the paper's prompts use this."""


class LanguageError(ValueError):
    """Text that is not a BlocksWorld fact, state or action; the message says which part."""


@dataclass(frozen=True, slots=True)
class Config:
    """What ``bw_config`` says: the rules' text, the colour of each letter, the templates."""

    intro: str
    colours: Mapping[str, str]
    """Instance letter -> colour word (``b`` -> ``blue``)."""
    predicates: Mapping[str, str]
    actions: Mapping[str, str]


@cache
def config() -> Config:
    raw = json.loads(
        resources.files(__package__).joinpath("data", "bw_config.json").read_text("utf-8")
    )
    colours = {k: v.removesuffix(" block") for k, v in raw["encoded_objects"].items()}
    return Config(
        intro=raw["domain_intro"].strip(),
        colours=colours,
        predicates={**raw["predicates"], "holding": _HOLDING},
        actions=raw["actions"],
    )


def _fill(template: str, args: Iterable[str]) -> str:
    return template.format(*(f"{a} block" for a in args))


def render_fact(fact: Atom) -> str:
    """``("on", "blue", "orange")`` -> ``the blue block is on top of the orange block``."""
    return _fill(config().predicates[fact[0]], fact[1:])


def render_negated(fact: Atom) -> str:
    """Why a precondition failed: ``the blue block is not clear``."""
    return _fill(
        _NEGATED.get(fact[0], "it is not true that " + config().predicates[fact[0]]), fact[1:]
    )


def _fact_order(fact: Atom) -> tuple[int, Atom]:
    return (_ORDER.index(fact[0]) if fact[0] in _ORDER else len(_ORDER), fact)


def render_facts(facts: Iterable[Atom], last: str = ", ") -> str:
    """Facts in the paper's order, comma separated (``last`` before the final one)."""
    texts = [render_fact(f) for f in sorted(facts, key=_fact_order)]
    if len(texts) <= 1:
        return "".join(texts)
    return ", ".join(texts[:-1]) + last + texts[-1]


def render_action(action: GroundAction) -> str:
    """``unstack the blue block from on top of the orange block``."""
    return _fill(config().actions[action.name], action.args)


_COLOUR = r"([a-z]+)"


@cache
def _fact_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    patterns = []
    for name, template in config().predicates.items():
        body = re.escape(template).replace(r"\{\}", "{}").replace("the\\ {}", "(?:the )?{}")
        body = body.replace("{}", _COLOUR + r"(?: block)?").replace("\\ ", " ")
        patterns.append((name, re.compile(rf"^{body}$")))
    return tuple(patterns)


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^a-z()\s-]", " ", text.lower()).split())


def _known(colours: Iterable[str], text: str) -> tuple[str, ...]:
    known = set(config().colours.values())
    found = tuple(colours)
    for colour in found:
        if colour not in known:
            raise LanguageError(f"no {colour} block in {text!r}")
    return found


def parse_fact(text: str) -> Atom:
    """One fact as :func:`render_fact` writes it (articles and ``block`` optional)."""
    words = _words(text).removeprefix("and ").strip()
    for name, pattern in _fact_patterns():
        match = pattern.match(words)
        if match:
            return (name, *_known(match.groups(), text))
    if words in ("i am holding nothing", "the hand is holding nothing"):
        return ("handempty",)
    holding = re.match(rf"^(?:i am holding|the hand holds) (?:the )?{_COLOUR}(?: block)?$", words)
    if holding:
        return ("holding", *_known(holding.groups(), text))
    in_hand = re.match(rf"^(?:the )?{_COLOUR}(?: block)? is in the hand$", words)
    if in_hand:
        return ("holding", *_known(in_hand.groups(), text))
    raise LanguageError(f"not a BlocksWorld fact: {text.strip()!r}")


_SPLIT_RE = re.compile(r",\s*(?:and\s+)?|\s+and\s+|;")


def parse_facts(text: str) -> Facts:
    """A list of facts as :func:`render_facts` writes it (``,`` / ``and`` separated)."""
    parts = [p for p in _SPLIT_RE.split(text.strip().rstrip(".")) if p.strip()]
    if not parts:
        raise LanguageError("no facts")
    return frozenset(parse_fact(p) for p in parts)


_ACTION_PATTERNS = (
    ("pick-up", re.compile(rf"^(?:pick ?up|pick-up) {_COLOUR}$")),
    ("pick-up", re.compile(rf"^pick {_COLOUR} up$")),
    ("put-down", re.compile(rf"^(?:put ?down|put-down) {_COLOUR}$")),
    ("put-down", re.compile(rf"^put {_COLOUR} down$")),
    (
        "unstack",
        re.compile(rf"^unstack {_COLOUR} (?:from )?(?:on top of |off of |off |from )?{_COLOUR}$"),
    ),
    ("stack", re.compile(rf"^stack {_COLOUR} (?:on top of|onto|on|upon) {_COLOUR}$")),
)
_PDDL_RE = re.compile(r"^\(\s*(pick-up|put-down|stack|unstack)((?:\s+[a-z]+)+)\s*\)$")
_ARITY = {"pick-up": 1, "put-down": 1, "stack": 2, "unstack": 2}
_FILLER = {"the", "a", "an", "block", "blocks"}


def parse_action(text: str) -> GroundAction:
    """One action, in words (:func:`render_action`, tolerantly) or in PDDL
    (``(unstack blue orange)``)."""
    words = _words(text)
    pddl = _PDDL_RE.match(words)
    if pddl:
        name, args = pddl.group(1), tuple(pddl.group(2).split())
        if len(args) != _ARITY[name]:
            raise LanguageError(f"{name} takes {_ARITY[name]} block(s): {text.strip()!r}")
        return GroundAction(name, _known(args, text))
    plain = " ".join(
        w for w in words.replace("(", " ").replace(")", " ").split() if w not in _FILLER
    )
    for name, pattern in _ACTION_PATTERNS:
        match = pattern.match(plain)
        if match:
            return GroundAction(name, _known(match.groups(), text))
    raise LanguageError(f"not a BlocksWorld action: {text.strip()[:80]!r}")
