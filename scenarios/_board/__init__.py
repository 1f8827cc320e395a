"""What two-player alternating board games (tic-tac-toe, Connect Four) share.

A board game supplies its state type (a :class:`BoardState`), its rules and
search; this package holds the plumbing around them that does not depend on
the board, one module per part, named as each game names its own:

* ``_state`` -- :class:`BoardState`, the protocol a game's positions implement;
* ``_facts`` -- the observed-move facts both the game's feedback and the sim read;
* ``_prompts`` -- the actor's, opponent model's and critic's prompt text;
* ``_game`` -- :class:`BoardGame`, the strict :class:`~rafa_async.Game`;
* ``_world`` -- :class:`BoardWorld`, the LLM-facing world model, built from a
  :class:`BoardLanguage`;
* ``_oracle`` -- :class:`BoardOracle`, the sim oracle's dispatch and
  opponent-model beliefs;
* ``_policies`` -- :class:`RandomPolicy`.
"""

from ._facts import (
    Facts as Facts,
    played_fact as played_fact,
    read_played_facts as read_played_facts,
)
from ._game import BoardGame as BoardGame
from ._oracle import BoardOracle as BoardOracle, habit as habit, pick as pick
from ._policies import RandomPolicy as RandomPolicy
from ._prompts import (
    board_predict_prompt as board_predict_prompt,
    board_propose_prompt as board_propose_prompt,
    board_value_prompt as board_value_prompt,
    position_block as position_block,
)
from ._state import BoardState as BoardState
from ._world import BoardLanguage as BoardLanguage, BoardWorld as BoardWorld
