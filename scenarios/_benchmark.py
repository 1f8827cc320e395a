"""What a single-agent benchmark (``rafa run``) is: its tasks, environments,
world model and oracle, and the record a finished episode becomes.

A benchmark implements :class:`Benchmark` (say so by subclassing it, and
mypy checks every member); the runner (:mod:`rafa_async.app`) knows
nothing else about it.  Each episode's line in ``rafa run --out`` is a
:class:`TaskRecord`: the fields every benchmark has, which the runner
measures, and -- in the benchmark's own subclass -- the fields that
describe its task (Game of 24: the puzzle's rank, numbers and expression).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol, TypeVar

import msgspec

from rafa_async import Environment
from rafa_async.llm import Oracle

from ._world_models import AttemptModel, WorldModel

T = TypeVar("T", bound="Task")
"""A benchmark's task type."""
S = TypeVar("S")
"""The state type of a benchmark's environments."""

TaskStatus = Literal["solved", "unsolved", "error"]
"""How an episode ended; see :class:`TaskRecord`."""


class Task(Protocol):
    """One task of a benchmark (Game of 24: a puzzle)."""

    @property
    def id(self) -> str:
        """Unique within the benchmark: the episode is ``<benchmark>-<id>``."""
        ...

    @property
    def text(self) -> str:
        """The task as the episode's start event shows it (``4 9 10 13``)."""
        ...


class TaskRecord(msgspec.Struct, kw_only=True):
    """The fields every benchmark records about an episode (one line of ``rafa run --out``).

    A benchmark's record subclasses it, adding the fields that describe its
    task, and says which of them identifies the task (:attr:`task_id`).

    ``status`` tells a model's failure from the provider's:

    - ``"solved"``: the episode ended with the task solved;
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
    solved: bool
    status: TaskStatus = "unsolved"
    error: str | None = None
    """Why the status is ``"error"``; ``None`` otherwise."""
    env_steps: int
    llm_calls: int
    failed_calls: int
    tokens: int
    wall_s: float
    simulated: bool
    cost_usd: float | None = None
    """Dollars by the price table; ``None`` when unknown (a model without a
    price), 0 for the sim."""
    step_calls: list[int] | None = None
    """The LLM calls the episode had started by each of its environment
    interactions (one entry per interaction, cumulative): what a
    sample-efficiency curve reads as calls spent by interaction k.  ``None``
    in a line written before it existed."""
    step_accepted: list[bool] | None = None
    """Whether the environment accepted each interaction (one entry per
    interaction); ``None`` in a line written before it existed."""

    def __post_init__(self) -> None:
        if self.solved and self.status == "unsolved":
            self.status = "solved"

    @property
    def task_id(self) -> str:
        """The :attr:`Task.id` of the episode's task, read from the subclass's own field."""
        raise NotImplementedError(f"{type(self).__name__} does not name its task's id field")


class BenchmarkWorld(WorldModel[S], AttemptModel[S], Protocol[S]):
    """A benchmark's world model: what the planning agents (``rafa``,
    ``tot``: :class:`WorldModel`) and the one-shot ones (``reflexion``,
    ``direct``: :class:`AttemptModel`) need."""


class Benchmark(Protocol[T, S]):
    """A single-agent benchmark: tasks ``T``, each played in an environment
    over states ``S``."""

    name: str
    description: str
    default_tasks: str
    """The task spec ``rafa run`` uses when not told (Game of 24: ``901-1000``)."""
    max_steps: int
    """Environment interactions per task, unless the run says otherwise; the
    most any task gets when its cap depends on the task (:meth:`task_max_steps`)."""
    record_type: type[TaskRecord]
    """The class of its records (:meth:`record` makes them): what reads a
    line of ``rafa run --out`` back, its task id included."""
    plan_depth: int | None = None
    """How many levels the planning agents (``rafa``, the ``tot`` kinds)
    search ahead: ``None``, until the states are terminal (Game of 24's
    searches end after three steps); a benchmark whose states need not ever
    become terminal caps it."""

    def tasks(self, spec: str) -> Sequence[T]:
        """The tasks ``spec`` names, in order; :class:`~rafa_async.ConfigError`
        naming the problem for a spec it cannot read."""
        ...

    def task_max_steps(self, task: T) -> int:
        """Environment interactions for ``task``, unless the run says otherwise:
        :attr:`max_steps`, unless the benchmark sizes its tasks' caps
        (BlocksWorld: twice the gold plan's length)."""
        return self.max_steps

    def make_env(self, task: T) -> Environment[S]: ...

    def world(self, *, model: str = "default") -> BenchmarkWorld[S]: ...

    def oracle(self) -> Oracle:
        """The simulated LLM's knowledge of this benchmark."""
        ...

    def record(self, task: T, result: TaskRecord, answer: str | None) -> TaskRecord:
        """The line ``rafa run --out`` writes for a finished episode of
        ``task``: ``result`` holds the fields every benchmark has (the runner
        measured them), ``answer`` the environment's final answer
        (:meth:`~rafa_async.Environment.answer`: Game of 24's is ``None``
        unless solved; BlocksWorld's is the actions executed)."""
        ...
