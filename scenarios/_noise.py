"""The simulated LLM's noise for scenarios that have no paper baseline to fit it to."""

from __future__ import annotations

from rafa_async.llm import NoiseModel

_PROVISIONAL = {
    "proposal_quality": 0.1,
    "preference_sharpness": 1.0,
    "wrong_belief_rate": 0.01,
    "value_noise": 0.15,
    "arithmetic_error_rate": 0.03,
    "malformed_rate": 0.02,
    "reflection_quality": 0.1,
    "memory_adherence": 1.0,
}


def provisional_noise(**overrides: float) -> NoiseModel:
    """Provisional, uncalibrated noise: the sim's defaults before they were
    fitted to the Game of 24 baselines, with ``overrides``.

    ``NoiseModel()``'s defaults are Game of 24's calibration; the board
    games, the prisoner's dilemma and the gridworld have no published
    baseline to fit, so they keep these fixed values instead, and their
    results (and recorded match logs) do not move whenever Game of 24's
    fit does.
    """
    return NoiseModel(**{**_PROVISIONAL, **overrides})
