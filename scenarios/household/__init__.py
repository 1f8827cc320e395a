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
from ._parsers import (
    memory_facts as memory_facts,
    parse_action as parse_action,
    parse_reflection as parse_reflection,
    parse_solution as parse_solution,
    parse_steps_left as parse_steps_left,
)
from ._planner import distance as distance, plan as plan
from ._prompts import (
    propose_prompt as propose_prompt,
    reflect_prompt as reflect_prompt,
    solve_prompt as solve_prompt,
    value_prompt as value_prompt,
)
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
from ._world import (
    CommandWorld as CommandWorld,
    HouseholdWorld as HouseholdWorld,
    value_of as value_of,
)

__all__ = [
    "DEFAULT_MAX_STEPS",
    "TASK_TYPES",
    "Command",
    "CommandWorld",
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
    "parse_action",
    "parse_command",
    "parse_reflection",
    "parse_solution",
    "parse_state",
    "parse_steps_left",
    "plan",
    "propose_prompt",
    "reflect_prompt",
    "satisfied",
    "select",
    "solve_prompt",
    "unmet",
    "value_of",
    "value_prompt",
]
