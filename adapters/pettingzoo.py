"""PettingZoo adapter: our :class:`~rafa_async.Game` s as PettingZoo environments, and back.

Needs the ``pettingzoo`` extra (``pip install 'rafa-async[pettingzoo]'``); the
core package never imports PettingZoo.  The two directions live in their own
modules; this one gathers their names:

* :mod:`.pettingzoo_env` -- our games as PettingZoo envs: :func:`to_aec`
  (any game, AEC) and :func:`to_parallel` (a simultaneous-move game).
* :mod:`.pettingzoo_player` -- a PettingZoo game played by our agents:
  :func:`from_aec` (a PettingZoo AEC env as a game for
  :func:`~rafa_async.open_match`).
"""

from __future__ import annotations

from .pettingzoo_env import (
    GameAECEnv as GameAECEnv,
    GameParallelEnv as GameParallelEnv,
    action_vocabulary as action_vocabulary,
    to_aec as to_aec,
    to_parallel as to_parallel,
)
from .pettingzoo_player import (
    PettingZooGame as PettingZooGame,
    PettingZooState as PettingZooState,
    from_aec as from_aec,
)

__all__ = [
    "GameAECEnv",
    "GameParallelEnv",
    "PettingZooGame",
    "PettingZooState",
    "action_vocabulary",
    "from_aec",
    "to_aec",
    "to_parallel",
]
