"""What every agent is: something that plays one episode through a driver."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from rafa_async._env import EpisodeDriver
from rafa_async.llm import ChatRequest

S = TypeVar("S")
S_contra = TypeVar("S_contra", contravariant=True)


class Agent(Protocol[S]):
    name: str

    async def run(self, driver: EpisodeDriver[S]) -> None:
        """Act in ``driver`` until it is over (or the agent gives up).

        Cancelling the calling task stops the agent at its next await, with
        its planner's calls cancelled and accounted.
        """
        ...


class AttemptModel(Protocol[S_contra]):
    """A scenario's interface for agents that answer in one go and reflect."""

    def solve_request(self, state: S_contra, memory: Sequence[str], sample: int) -> ChatRequest: ...

    def parse_solution(self, text: str) -> str: ...

    def reflect_request(
        self, state: S_contra, attempt: str, feedback: str, sample: int
    ) -> ChatRequest: ...

    def parse_reflection(self, text: str) -> str: ...
