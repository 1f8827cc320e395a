"""The Game of 24 as a runnable benchmark: tasks, environments, and result rows."""

from __future__ import annotations

import msgspec

from .._benchmark import Benchmark, TaskRecord, TaskStatus
from ._env import DEFAULT_MAX_STEPS, Game24Env
from ._oracle import Game24Oracle
from ._puzzles import Puzzle, puzzles
from ._state import Game24State
from ._world import Game24World

Game24Status = TaskStatus
"""The status of a Game of 24 record (every benchmark's :data:`TaskStatus`)."""


class Game24Record(TaskRecord, kw_only=True):
    """One line of ``rafa run game24 --out``: the fields every benchmark
    records (:class:`~rafa_async.scenarios.TaskRecord`, which says what
    ``status`` means) and the puzzle's own."""

    rank: int
    """The puzzle's rank: its id (:attr:`task_id`)."""
    numbers: list[int]
    expression: str | None
    """The solution the environment accepted; ``None`` unless solved."""

    @property
    def task_id(self) -> str:
        return str(self.rank)


class Game24Benchmark(Benchmark[Puzzle, Game24State]):
    name = "game24"
    description = "Game of 24: combine four numbers with + - * / to make 24 (RAFA sec. 6.1)"
    default_tasks = "901-1000"
    max_steps = DEFAULT_MAX_STEPS
    record_type = Game24Record

    def tasks(self, spec: str) -> list[Puzzle]:
        return puzzles(spec)

    def make_env(self, task: Puzzle) -> Game24Env:
        return Game24Env(task.numbers)

    def world(self, *, model: str = "default") -> Game24World:
        return Game24World(model=model)

    def oracle(self) -> Game24Oracle:
        return Game24Oracle()

    def record(self, task: Puzzle, result: TaskRecord, answer: str | None) -> Game24Record:
        return Game24Record(
            **msgspec.structs.asdict(result),
            rank=task.rank,
            numbers=list(task.numbers),
            expression=answer,
        )
