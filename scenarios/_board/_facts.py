"""The one phrasing of an observed move, shared by a board game's feedback and the sim."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from ._state import S

Facts = Mapping[str, tuple[str, ...]]
"""The moves memory says were played in each position: ``{key: (move, ...)}``."""


def played_fact(player: str, move: str, key: str) -> str:
    """``"<player> played <move> in <key>"`` -- ``key`` is the position ``player`` faced.

    No full stop: keys may end in ``.`` (an empty cell) and a reader should
    not have to guess where one ends.
    """
    return f"{player} played {move} in {key}"


def read_played_facts(
    lines: Iterable[str], fact: re.Pattern[str], state_from_key: Callable[[str], S]
) -> dict[str, tuple[str, ...]]:
    """The moves ``lines`` say were played in each position (``fact`` matches a
    :func:`played_fact` with groups ``player``, ``move`` and ``key``), oldest
    first, repeats kept (they are evidence of a habit).

    A "fact" the rules contradict (the wrong player, an illegal move, an
    unreachable position) is not an observation of this game and is ignored.
    """
    facts: dict[str, list[str]] = {}
    for line in lines:
        for match in fact.finditer(line):
            try:
                state = state_from_key(match.group("key"))
            except ValueError:
                continue
            move = match.group("move")
            if state.to_play != match.group("player") or move not in state.legal_moves():
                continue
            facts.setdefault(state.key, []).append(move)
    return {key: tuple(moves) for key, moves in facts.items()}
