"""Game of 24 (Yao et al. 2023; RAFA section 6.1): reach 24 from four numbers."""

from ._arith import (
    evaluate_expression as evaluate_expression,
    legal_steps as legal_steps,
    solvable as solvable,
    solve as solve,
)
from ._benchmark import (
    Game24Benchmark as Game24Benchmark,
    Game24Record as Game24Record,
    Game24Status as Game24Status,
)
from ._env import DEFAULT_MAX_STEPS as DEFAULT_MAX_STEPS, Game24Env as Game24Env
from ._oracle import Game24Oracle as Game24Oracle
from ._parsers import (
    VALUES as VALUES,
    memory_facts as memory_facts,
    parse_answer as parse_answer,
    parse_reflection as parse_reflection,
    parse_step as parse_step,
    parse_value as parse_value,
)
from ._puzzles import (
    TEST_RANKS as TEST_RANKS,
    Puzzle as Puzzle,
    all_puzzles as all_puzzles,
    parse_ranks as parse_ranks,
    puzzles as puzzles,
)
from ._state import Game24State as Game24State
from ._world import Game24Proposal as Game24Proposal, Game24World as Game24World

__all__ = [
    "DEFAULT_MAX_STEPS",
    "TEST_RANKS",
    "VALUES",
    "Game24Benchmark",
    "Game24Env",
    "Game24Oracle",
    "Game24Proposal",
    "Game24Record",
    "Game24State",
    "Game24Status",
    "Game24World",
    "Puzzle",
    "all_puzzles",
    "evaluate_expression",
    "legal_steps",
    "memory_facts",
    "parse_answer",
    "parse_ranks",
    "parse_reflection",
    "parse_step",
    "parse_value",
    "puzzles",
    "solvable",
    "solve",
]
