"""How a simulated model garbles an answer, for the oracles' ``garble``."""

from __future__ import annotations

import random
from collections.abc import Sequence


def garbled(text: str, rng: random.Random, chatter: Sequence[str]) -> str:
    """``text`` made useless as a confused model makes it: chatter instead of an
    answer, the answer cut short, or its numbers lost."""
    choice = rng.randrange(3)
    if choice == 0:
        return rng.choice(chatter) + "..."
    if choice == 1:
        return text[: max(1, len(text) // 3)]
    return "".join(ch for ch in text if not ch.isdigit())
