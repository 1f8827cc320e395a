"""The Game of 24 as a runnable benchmark: tasks, environments, and result rows."""

from __future__ import annotations

from typing import Literal

import msgspec

from ._oracle import Game24Oracle
from ._puzzles import Puzzle, puzzles
from ._state import DEFAULT_MAX_STEPS, Game24Env
from ._world import Game24World

Game24Status = Literal["solved", "unsolved", "error"]


class Game24Record(msgspec.Struct, kw_only=True):
    """One line of ``rafa run game24 --out``.

    ``status`` tells a model's failure from the provider's:

    - ``"solved"``: the episode ended with the puzzle solved;
    - ``"unsolved"``: it ended without, the model having answered at least one
      of its calls (other calls may have failed: ``failed_calls``);
    - ``"error"``: a provider error decided it -- the provider became
      unavailable mid-episode (``ProviderUnavailable``: a rejected key, an
      unknown model, too many calls failing in a row), or not one of its LLM
      calls was answered and at least one failed.  It says nothing about the
      model; ``error`` holds the message.

    A line written before ``status`` existed decodes with it derived from ``solved``.
    """

    scenario: str
    agent: str
    rank: int
    numbers: list[int]
    solved: bool
    status: Game24Status = "unsolved"
    error: str | None = None
    """Why the status is ``"error"``; ``None`` otherwise."""
    expression: str | None
    env_steps: int
    llm_calls: int
    failed_calls: int
    tokens: int
    wall_s: float
    simulated: bool
    cost_usd: float | None = None
    """Dollars by the price table; ``None`` when unknown (a model without a
    price), 0 for the sim."""

    def __post_init__(self) -> None:
        if self.solved and self.status == "unsolved":
            self.status = "solved"


class Game24Benchmark:
    name = "game24"
    description = "Game of 24: combine four numbers with + - * / to make 24 (RAFA sec. 6.1)"
    default_tasks = "901-1000"
    max_steps = DEFAULT_MAX_STEPS

    def tasks(self, spec: str) -> list[Puzzle]:
        return puzzles(spec)

    def make_env(self, task: Puzzle) -> Game24Env:
        return Game24Env(task.numbers)

    def world(self, *, model: str = "default") -> Game24World:
        return Game24World(model=model)

    def oracle(self) -> Game24Oracle:
        return Game24Oracle()
