"""What every agent is: something that plays one episode through a driver."""

from __future__ import annotations

from typing import Protocol, TypeVar

from rafa_async._env import EpisodeDriver

S = TypeVar("S")


class Agent(Protocol[S]):
    name: str

    async def run(self, driver: EpisodeDriver[S]) -> None:
        """Act in ``driver`` until it is over (or the agent gives up).

        Cancelling the calling task stops the agent at its next await, with
        its planner's calls cancelled and accounted.
        """
        ...
