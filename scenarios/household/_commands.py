"""TextWorld-style commands (``go to fridge 1``, ``take apple 1 from countertop 1``):
reading them, and writing them back in one canonical form."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Verb = Literal[
    "go", "open", "close", "take", "put", "clean", "heat", "cool", "use", "examine",
    "inventory", "look",
]  # fmt: skip

_NAME = r"([a-z]+ \d+)"
_PATTERNS: tuple[tuple[Verb, re.Pattern[str]], ...] = (
    ("go", re.compile(rf"^go to (?:the )?{_NAME}$")),
    ("open", re.compile(rf"^open (?:the )?{_NAME}$")),
    ("close", re.compile(rf"^close (?:the )?{_NAME}$")),
    ("take", re.compile(rf"^(?:take|pick up) (?:the )?{_NAME} from (?:the )?{_NAME}$")),
    ("put", re.compile(rf"^put (?:the )?{_NAME} (?:in/on|in|on|into|onto) (?:the )?{_NAME}$")),
    ("put", re.compile(rf"^move (?:the )?{_NAME} to (?:the )?{_NAME}$")),
    ("clean", re.compile(rf"^clean (?:the )?{_NAME} (?:with|using|in) (?:the )?{_NAME}$")),
    ("heat", re.compile(rf"^heat (?:the )?{_NAME} (?:with|using|in) (?:the )?{_NAME}$")),
    ("cool", re.compile(rf"^cool (?:the )?{_NAME} (?:with|using|in) (?:the )?{_NAME}$")),
    ("use", re.compile(rf"^(?:use|toggle|turn on) (?:the )?{_NAME}$")),
    ("examine", re.compile(rf"^(?:examine|look at) (?:the )?{_NAME}$")),
    ("inventory", re.compile(r"^(?:inventory|inv|i)$")),
    ("look", re.compile(r"^look(?: around)?$")),
)
_DECORATION = str.maketrans({"*": None, "`": None, '"': None, "'": None})


@dataclass(frozen=True, slots=True)
class Command:
    """One command: a verb and up to two names (an object and a receptacle, or a
    receptacle alone for ``go``/``open``/``close``/``examine``)."""

    verb: Verb
    first: str = ""
    second: str = ""

    @property
    def text(self) -> str:
        if self.verb == "go":
            return f"go to {self.first}"
        if self.verb == "take":
            return f"take {self.first} from {self.second}"
        if self.verb == "put":
            return f"put {self.first} in/on {self.second}"
        if self.verb in ("clean", "heat", "cool"):
            return f"{self.verb} {self.first} with {self.second}"
        return f"{self.verb} {self.first}".strip()


def parse_command(text: str) -> Command:
    """The command ``text`` states (decoration, a leading ``>`` and a final
    period allowed); ``ValueError`` saying what a command looks like."""
    cleaned = " ".join(text.translate(_DECORATION).strip().lstrip(">").split()).lower()
    cleaned = cleaned.rstrip(".!")
    for verb, pattern in _PATTERNS:
        match = pattern.match(cleaned)
        if match:
            return Command(verb, *match.groups())
    raise ValueError(
        f"{text.strip()[:80]!r} is not a command (go to X, open X, close X, take OBJ from X, "
        "put OBJ in/on X, clean/heat/cool OBJ with X, use desklamp 1, examine X, inventory, look)"
    )
