"""Game of 24 (Yao et al. 2023; RAFA section 6.1): reach 24 from four numbers."""

from ._arith import evaluate_expression as evaluate_expression
from ._arith import legal_steps as legal_steps
from ._arith import solvable as solvable
from ._arith import solve as solve
from ._oracle import Game24Oracle as Game24Oracle
from ._parsers import VALUES as VALUES
from ._parsers import memory_facts as memory_facts
from ._parsers import parse_answer as parse_answer
from ._parsers import parse_reflection as parse_reflection
from ._parsers import parse_step as parse_step
from ._parsers import parse_value as parse_value
from ._puzzles import TEST_RANKS as TEST_RANKS
from ._puzzles import Puzzle as Puzzle
from ._puzzles import all_puzzles as all_puzzles
from ._puzzles import parse_ranks as parse_ranks
from ._puzzles import puzzles as puzzles
from ._spec import Game24Benchmark as Game24Benchmark
from ._spec import Game24Record as Game24Record
from ._state import DEFAULT_MAX_STEPS as DEFAULT_MAX_STEPS
from ._state import Game24Env as Game24Env
from ._state import Game24State as Game24State
from ._world import Game24Proposal as Game24Proposal
from ._world import Game24World as Game24World
