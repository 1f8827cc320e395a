"""Switching conditions: when an agent throws its plan away and replans."""

from __future__ import annotations

from typing import Protocol


class SwitchingCondition(Protocol):
    name: str

    def should_replan(
        self, *, predicted: str, observed: str, accepted: bool, remaining: int
    ) -> bool:
        """Decide after one executed step.

        ``predicted``/``observed`` are state keys (the plan's prediction and
        what the environment did); ``remaining`` is how many planned steps are
        left.  An agent always replans when no step remains.
        """
        ...


class SwitchEveryStep:
    """The paper's default: replan after every transition."""

    name = "every-step"

    def should_replan(
        self, *, predicted: str, observed: str, accepted: bool, remaining: int
    ) -> bool:
        return True


class SwitchOnSurprise:
    """Keep executing the plan while the world behaves as predicted."""

    name = "on-surprise"

    def should_replan(
        self, *, predicted: str, observed: str, accepted: bool, remaining: int
    ) -> bool:
        return not accepted or predicted != observed or remaining == 0
