"""Scenarios: environments, prompts, parsers and oracles.  Registry by name."""

from __future__ import annotations

from rafa_async._errors import ConfigError
from rafa_async.scenarios.game24 import Game24Benchmark

SCENARIOS = {"game24": Game24Benchmark()}
"""Every benchmark scenario ``rafa run`` knows, by name."""


def get_scenario(name: str) -> Game24Benchmark:
    """The scenario called ``name``; :class:`ConfigError` listing the known ones if none."""
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(sorted(SCENARIOS))
        raise ConfigError(f"unknown scenario {name!r} (known: {known})") from None


__all__ = ["SCENARIOS", "get_scenario"]
