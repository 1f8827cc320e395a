"""BlocksWorld (Valmeekam et al.; RAP; RAFA section 6.3): stack coloured blocks
into a goal arrangement, with a STRIPS simulator over the PDDL domain."""

from ._benchmark import (
    BlocksWorldBenchmark as BlocksWorldBenchmark,
    BlocksWorldRecord as BlocksWorldRecord,
)
from ._env import BlocksWorldEnv as BlocksWorldEnv, action_lines as action_lines
from ._instances import (
    SETS as SETS,
    Instance as Instance,
    instances as instances,
    rules as rules,
    task_set as task_set,
)
from ._language import (
    LanguageError as LanguageError,
    parse_action as parse_action,
    parse_facts as parse_facts,
    render_action as render_action,
    render_facts as render_facts,
)
from ._oracle import BlocksWorldOracle as BlocksWorldOracle
from ._pddl import (
    PddlError as PddlError,
    parse_domain as parse_domain,
    parse_problem as parse_problem,
    parse_sexpr as parse_sexpr,
)
from ._solver import optimal_plan as optimal_plan
from ._state import BlocksState as BlocksState
from ._strips import GroundAction as GroundAction, Strips as Strips
from ._world import BlocksProposal as BlocksProposal, BlocksWorldModel as BlocksWorldModel

__all__ = [
    "SETS",
    "BlocksProposal",
    "BlocksState",
    "BlocksWorldBenchmark",
    "BlocksWorldEnv",
    "BlocksWorldModel",
    "BlocksWorldOracle",
    "BlocksWorldRecord",
    "GroundAction",
    "Instance",
    "LanguageError",
    "PddlError",
    "Strips",
    "action_lines",
    "instances",
    "optimal_plan",
    "parse_action",
    "parse_domain",
    "parse_facts",
    "parse_problem",
    "parse_sexpr",
    "render_action",
    "render_facts",
    "rules",
    "task_set",
]
