"""The household as a runnable benchmark: tasks, environments, and result rows."""

from __future__ import annotations

import msgspec

from .._benchmark import Benchmark, TaskRecord
from ._env import DEFAULT_MAX_STEPS, HouseholdEnv
from ._oracle import HouseholdOracle
from ._state import HouseState, TaskType
from ._tasks import HouseholdTask, select
from ._world import HouseholdWorld

PLAN_DEPTH = 12
"""Levels the planning agents search ahead: more than the longest shipped
task needs (10 commands), so an open-loop plan can reach the goal, yet a
search whose states never reach it (a noisy model) still ends."""


class HouseholdRecord(TaskRecord, kw_only=True):
    """One line of ``rafa run household --out``: the fields every benchmark
    records and the task's own."""

    task: str
    """The task's id (``pick_clean_then_place-3``): :attr:`task_id`."""
    rank: int
    task_type: TaskType
    goal: str
    """The task as the agent read it (``clean some mug and put it in shelf``)."""

    @property
    def task_id(self) -> str:
        return self.task


class HouseholdBenchmark(Benchmark[HouseholdTask, HouseState]):
    name = "household"
    description = (
        "Household: ALFWorld's six task types in small offline text rooms "
        "(pick, clean, heat, cool, examine in light, pick two)"
    )
    default_tasks = "1-60"
    max_steps = DEFAULT_MAX_STEPS
    record_type = HouseholdRecord
    plan_depth = PLAN_DEPTH

    def tasks(self, spec: str) -> list[HouseholdTask]:
        return select(spec)

    def make_env(self, task: HouseholdTask) -> HouseholdEnv:
        return HouseholdEnv(task.start)

    def world(self, *, model: str = "default") -> HouseholdWorld:
        return HouseholdWorld(model=model)

    def oracle(self) -> HouseholdOracle:
        return HouseholdOracle()

    def record(
        self, task: HouseholdTask, result: TaskRecord, answer: str | None
    ) -> HouseholdRecord:
        return HouseholdRecord(
            **msgspec.structs.asdict(result),
            task=task.id,
            rank=task.rank,
            task_type=task.task_type,
            goal=task.text,
        )
