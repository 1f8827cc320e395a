"""Checking a written attempt (several actions, one a line) as one interaction."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from rafa_async import Outcome

S = TypeVar("S")


def check_lines(state: S, lines: Sequence[str], one: Callable[[S, str], Outcome[S]]) -> Outcome[S]:
    """The verdict on ``lines`` (at least one), each checked by ``one`` in turn
    from the state the previous one left: one feedback line each, stopping at
    the first refused line or once done.  The state keeps what was accepted
    before; the accepted flag, reward and done are the last line's."""
    verdicts: list[str] = []
    for line in lines:
        outcome = one(state, line)
        verdicts.append(outcome.feedback)
        state = outcome.state
        if not outcome.accepted or outcome.done:
            break
    return Outcome(
        state, outcome.accepted, "\n".join(verdicts), reward=outcome.reward, done=outcome.done
    )
