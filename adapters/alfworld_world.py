"""How agents talk to a real LLM about an ALFWorld game: the household's
prompts and parsers over the game's text so far.

ALFWorld is partially observed: a state is what the agent has seen (the
game's introduction, each command and what it showed), and a proposed
command's predicted state is that text with the command appended and its
outcome still unseen.  The simulated LLM has no ALFWorld oracle (it would
need the game's hidden world, which is not in the prompt): these requests
are for real providers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rafa_async import MalformedResponse
from rafa_async.scenarios.household import CommandWorld, parse_action, parse_solution

from .alfworld import ALFWorldState

SCENARIO = "alfworld"
UNSEEN = "(not observed yet)"
"""The observation of a command the model only imagines."""


_ACTION_RE = re.compile(r"^\W*(?:action|command)\W*:\s*(?P<command>.+)$", re.IGNORECASE)


def _command_line(line: str) -> str:
    """A line's command as the model wrote it (ALFWorld versions word ``put``
    differently, so it is not rewritten), or empty if it states none."""
    try:
        parse_action(line)
    except MalformedResponse:
        return ""
    match = _ACTION_RE.match(line.strip())
    raw = match.group("command") if match else line
    return " ".join(raw.replace("*", "").replace("`", "").strip().lstrip(">").split()).rstrip(".")


def _as_written(text: str) -> str:
    """The last command ``text`` states, as written; malformed if none."""
    for line in reversed(text.splitlines()):
        if found := _command_line(line):
            return found
    return parse_action(text).text  # malformed if no command at all


@dataclass(frozen=True, slots=True)
class ALFWorldProposal:
    action: str
    predicted: ALFWorldState


class ALFWorldWorld(CommandWorld[ALFWorldState]):
    """The world model (``rafa``, ``tot``) and attempt model (``reflexion``,
    ``direct``) for ALFWorld games: the household's requests over the game text."""

    scenario = SCENARIO

    def text(self, state: ALFWorldState) -> str:
        return state.text

    def is_terminal(self, state: ALFWorldState) -> bool:
        return state.won

    def parse_proposal(self, state: ALFWorldState, text: str) -> ALFWorldProposal:
        command = _as_written(text)
        predicted = replace(state, history=(*state.history, (command, UNSEEN)))
        return ALFWorldProposal(command, predicted)

    def parse_solution(self, text: str) -> str:
        parse_solution(text)  # malformed without a command
        return "\n".join(c for c in (_command_line(line) for line in text.splitlines()) if c)
