"""A small household text environment in ALFWorld's image (Shridhar et al. 2021;
RAFA sec. 6): rooms of receptacles and objects with a desklamp, TextWorld-style
commands, ALFWorld's six task types, an exact planner as the sim's oracle."""

from ._benchmark import (
    HouseholdBenchmark as HouseholdBenchmark,
    HouseholdRecord as HouseholdRecord,
)
from ._commands import Command as Command, parse_command as parse_command
from ._env import DEFAULT_MAX_STEPS as DEFAULT_MAX_STEPS, HouseholdEnv as HouseholdEnv
from ._oracle import HouseholdOracle as HouseholdOracle
from ._parsers import memory_facts as memory_facts
from ._planner import distance as distance, plan as plan
from ._rules import Refusal as Refusal, admissible as admissible, apply as apply
from ._state import (
    TASK_TYPES as TASK_TYPES,
    Goal as Goal,
    HouseState as HouseState,
    TaskType as TaskType,
    Thing as Thing,
    parse_state as parse_state,
    satisfied as satisfied,
    unmet as unmet,
)
from ._tasks import (
    HouseholdTask as HouseholdTask,
    all_tasks as all_tasks,
    generate_all as generate_all,
    select as select,
)
from ._world import HouseholdWorld as HouseholdWorld

__all__ = [
    "DEFAULT_MAX_STEPS",
    "TASK_TYPES",
    "Command",
    "Goal",
    "HouseState",
    "HouseholdBenchmark",
    "HouseholdEnv",
    "HouseholdOracle",
    "HouseholdRecord",
    "HouseholdTask",
    "HouseholdWorld",
    "Refusal",
    "TaskType",
    "Thing",
    "admissible",
    "all_tasks",
    "apply",
    "distance",
    "generate_all",
    "memory_facts",
    "parse_command",
    "parse_state",
    "plan",
    "satisfied",
    "select",
    "unmet",
]
