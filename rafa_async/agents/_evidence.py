"""How surprising an observed step was to the model: P_model(observed outcome).

``info-gain`` switching needs the information of each observed step,
-log P_model(outcome), where the outcome is whether the step held (accepted,
and landed on the predicted state) and P_model comes from the model's own
evaluation of the predicted state -- the planner's evaluation samples
(:class:`~rafa_async.planners.ValueSample`).  Two estimators:

- :class:`SampleAgreement` (``agreement``), a proxy that works on any LLM:
  the Laplace-smoothed share of evaluation samples that agree with the
  outcome, ``(agreeing + 1) / (samples + 2)``; a sample predicts the step
  holds when its value is at least ``viable`` (0.5: Game of 24's "sure" and
  "likely", a value in [0, 1] above one half).  Disagreeing samples make an
  outcome informative; with no samples every outcome has probability 1/2.
- :class:`ModelConfidence` (``confidence``): the model's own probability,
  where the provider reports one (:attr:`~rafa_async.llm.ChatResponse.confidence`:
  the simulated LLM's belief channel, the analogue of verdict logprobs),
  averaged over the samples; any sample without one falls back to the proxy.

Neither reads the ground truth: only what the model answered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rafa_async.planners import ValueSample

FLOOR = 1e-6
"""The smallest probability an estimate gives an outcome (a certain model
that is wrong gains -log 1e-6 ~ 13.8 nats, not infinity)."""


class EvidenceEstimator(Protocol):
    @property
    def name(self) -> str: ...

    def probability(self, evidence: Sequence[ValueSample], *, held: bool) -> float:
        """P_model(the step held) if ``held``, else P_model(it did not)."""
        ...


@dataclass(frozen=True, slots=True)
class SampleAgreement:
    """The proxy: the Laplace-smoothed agreement of the evaluation samples."""

    viable: float = 0.5
    name: str = "agreement"

    def probability(self, evidence: Sequence[ValueSample], *, held: bool) -> float:
        agreeing = sum((s.value >= self.viable) == held for s in evidence)
        return (agreeing + 1) / (len(evidence) + 2)


@dataclass(frozen=True, slots=True)
class ModelConfidence:
    """The model's reported confidence (sim: its belief channel), else the proxy."""

    fallback: SampleAgreement = SampleAgreement()
    name: str = "confidence"

    def probability(self, evidence: Sequence[ValueSample], *, held: bool) -> float:
        reported = [s.confidence for s in evidence if s.confidence is not None]
        if not evidence or len(reported) < len(evidence):
            return self.fallback.probability(evidence, held=held)
        good = math.fsum(reported) / len(reported)
        return good if held else 1.0 - good


def information(
    estimator: EvidenceEstimator, evidence: Sequence[ValueSample], *, held: bool
) -> float:
    """-log P_model(outcome), in nats, with the probability floored at :data:`FLOOR`."""
    return -math.log(max(FLOOR, estimator.probability(evidence, held=held)))
