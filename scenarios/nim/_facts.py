"""The one phrasing of an observed move, shared by the game's feedback and the sim.

The game tells both players ``"B played 3:2 in 3,3,5/B, giving 3,3,3/A; ..."``
after each move (the key is the position B faced).  An agent that stores its
feedback in memory therefore carries exact observations of its opponent; the
simulated LLM reads them back with :func:`memory_facts` and predicts what
the opponent did before.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .._board import played_fact as played_fact, read_played_facts
from ._state import state_from_key

_FACT_RE = re.compile(r"\b(?P<player>[AB]) played (?P<move>\d+:\d+) in (?P<key>[\d,]+/[AB])")


def memory_facts(lines: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """The moves memory says were played in each position: ``{key: (move, ...)}``,
    oldest first, repeats kept (they are evidence of a habit).

    A "fact" the rules contradict (the wrong player, an illegal move, an
    unreachable position) is not an observation of this game and is ignored.
    """
    return read_played_facts(lines, _FACT_RE, state_from_key)
