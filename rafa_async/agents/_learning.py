"""RAFA's learning subroutine: what an observed step adds to the memory.

The raw feedback always goes in (``raw``, the paper's experiments).  With
``reflect`` (the option the paper's code uses) the LLM is also asked, one
``reflect`` call per step, to summarise the feedback into a lesson, which is
stored next to it: the planner's proposer and judge read one memory, so both
see the lesson.  The model is asked only about the step it took and what the
environment said.
"""

from __future__ import annotations

from typing import Generic, Protocol

import structlog

from rafa_async._env import Outcome
from rafa_async._errors import LLMError
from rafa_async.llm import LLM
from rafa_async.planners._base import S
from rafa_async.scenarios import AttemptModel

log = structlog.get_logger(__name__)


class Learner(Protocol[S]):
    """Turns one observed step into memory lines besides the raw feedback."""

    name: str

    async def lessons(self, state: S, action: str, outcome: Outcome[S], step: int) -> list[str]:
        """Lines to store for the step ``action`` taken in ``state`` (the
        ``step``-th of the episode).  Cancelled like any LLM call; a call that
        fails adds nothing (the raw feedback is stored regardless)."""
        ...


class RawFeedback(Generic[S]):
    """``raw``: the feedback alone (nothing besides it)."""

    name = "raw"

    async def lessons(self, state: S, action: str, outcome: Outcome[S], step: int) -> list[str]:
        return []


class ReflectOnFeedback(Generic[S]):
    """``reflect``: one ``reflect`` call summarises the feedback into a lesson."""

    name = "reflect"

    def __init__(self, llm: LLM, world: AttemptModel[S]) -> None:
        self.llm = llm
        self.world = world
        self.failed = 0
        """Reflections lost to an LLM error (their feedback is still stored)."""

    async def lessons(self, state: S, action: str, outcome: Outcome[S], step: int) -> list[str]:
        request = self.world.reflect_request(state, action, outcome.feedback, step)
        try:
            text = (await self.llm.complete(request)).text
            return [self.world.parse_reflection(text)]
        except LLMError as error:
            self.failed += 1
            log.info("reflection_failed", step=step, error=str(error))
            return []
