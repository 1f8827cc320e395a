"""Checking a whole written attempt line by line, as every benchmark's environment does."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from rafa_async import Outcome

S = TypeVar("S")


def check_lines(
    state: S, lines: Sequence[str], check: Callable[[S, str], Outcome[S]]
) -> Outcome[S]:
    """The verdict on an attempt of several ``lines`` (at least one): each line
    gets the verdict ``check`` gives it alone (one feedback line each), from the
    state the lines before it left; the check stops at the first refused line,
    or once the task is done.  It is one interaction, however many lines."""
    verdicts: list[str] = []
    for line in lines:
        outcome = check(state, line)
        verdicts.append(outcome.feedback)
        state = outcome.state
        if not outcome.accepted or outcome.done:
            break
    return Outcome(
        state, outcome.accepted, "\n".join(verdicts), reward=outcome.reward, done=outcome.done
    )
