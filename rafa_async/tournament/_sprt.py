"""SPRT (placeholder until the ratings branch lands)."""

from __future__ import annotations

import msgspec

from rafa_async._errors import ConfigError


class SprtConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    elo0: float
    elo1: float
    alpha: float = 0.05
    beta: float = 0.05

    def check(self) -> None:
        if not self.elo0 < self.elo1:
            raise ConfigError("elo0 must be < elo1", fields=("elo0",))


def sprt_decision(config: SprtConfig, results: object) -> str | None:
    return None
