"""The ``pettingzoo`` extra's libraries, imported in one place.

Both PettingZoo modules (:mod:`.pettingzoo_env`, :mod:`.pettingzoo_player`)
take them from here, so importing either without the extra fails with the
same message saying how to install it.
"""

from __future__ import annotations

try:
    import numpy as np
    import numpy.typing as npt
    from gymnasium import logger as gym_logger, spaces
    from pettingzoo import AECEnv, ParallelEnv
    from pettingzoo.utils import wrappers
except ImportError as error:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        f"rafa_async.adapters.pettingzoo needs PettingZoo ({error}); "
        "install it with: pip install 'rafa-async[pettingzoo]'"
    ) from error

__all__ = ["AECEnv", "ParallelEnv", "gym_logger", "np", "npt", "spaces", "wrappers"]
