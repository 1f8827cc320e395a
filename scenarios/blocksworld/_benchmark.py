"""BlocksWorld as a runnable benchmark: tasks, environments, and result rows."""

from __future__ import annotations

import msgspec

from .._benchmark import Benchmark, TaskRecord
from ._env import BlocksWorldEnv
from ._instances import STEPS_PER_GOLD_ACTION, Instance, instances, task_set
from ._oracle import BlocksWorldOracle
from ._state import BlocksState
from ._world import BlocksWorldModel


class BlocksWorldRecord(TaskRecord, kw_only=True):
    """One line of ``rafa run blocksworld --out``: the fields every benchmark
    records (:class:`~rafa_async.scenarios.TaskRecord`) and the instance's own."""

    instance: int
    """The instance's number (``instance-12.pddl``): its id (:attr:`task_id`)."""
    task_set: str
    """``step_4`` or ``step_6``."""
    gold_length: int
    actions: list[str]
    """The actions executed, in PDDL (``(unstack blue orange)``), in order;
    for the agents that retry from the start (``tot-trials``, ``reflexion``),
    the last trial's."""
    goal_reached: bool

    @property
    def task_id(self) -> str:
        return str(self.instance)


class BlocksWorldBenchmark(Benchmark[Instance, BlocksState]):
    name = "blocksworld"
    description = (
        "BlocksWorld: stack coloured blocks into a goal arrangement (RAFA sec. 6.3; "
        "--instances step_4 or step_6)"
    )
    default_tasks = "step_4"
    max_steps = STEPS_PER_GOLD_ACTION * max(len(t.gold) for t in task_set("step_6"))
    """The most any task gets: each gets twice its gold plan's length (:meth:`task_max_steps`)."""
    record_type = BlocksWorldRecord

    def tasks(self, spec: str) -> list[Instance]:
        return instances(spec)

    def task_max_steps(self, task: Instance) -> int:
        return task.max_steps

    def make_env(self, task: Instance) -> BlocksWorldEnv:
        return BlocksWorldEnv(task)

    def world(self, *, model: str = "default") -> BlocksWorldModel:
        return BlocksWorldModel(model=model)

    def oracle(self) -> BlocksWorldOracle:
        return BlocksWorldOracle()

    def record(self, task: Instance, result: TaskRecord, answer: str | None) -> BlocksWorldRecord:
        return BlocksWorldRecord(
            **msgspec.structs.asdict(result),
            instance=task.number,
            task_set=task.task_set,
            gold_length=len(task.gold),
            actions=answer.splitlines() if answer else [],
            goal_reached=result.solved,
        )
