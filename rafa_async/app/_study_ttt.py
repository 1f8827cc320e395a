"""The study's Tic-Tac-Toe part: :func:`run_ttt_protocol` on the study's
LLM stack and seeds, its curves as the study reports them.

The protocol is the paper's (``rafa study tictactoe`` runs it alone, with
every knob): RAFA searching to the end of the game against a fixed LLM,
evaluated after every training episode, one curve per B.  Within a study
every (B, seed) run calls through the study's one stack (its limits, cache
and cost meter see them), each game sampled with its own seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rafa_async.app._study_results import StudyLearningCurve, StudyLearningPoint
from rafa_async.app._ttt_protocol import TTTProtocolConfig, run_ttt_protocol

if TYPE_CHECKING:
    from rafa_async.app._study_results import LearningContext
    from rafa_async.app._study_spec import LearningPart


def study_config(seeds: int, *, quick: bool) -> TTTProtocolConfig:
    """The protocol as a study runs it: B = 3, 4, 5, 10 training episodes
    with 10 evaluation games after each (``quick``: B = 3, 2 episodes, 2 games)."""
    if quick:
        return TTTProtocolConfig(b_values=(3,), seeds=seeds, train_episodes=2, eval_games=2)
    return TTTProtocolConfig(b_values=(3, 4, 5), seeds=seeds, train_episodes=10, eval_games=10)


async def study_tictactoe(part: LearningPart, context: LearningContext) -> list[StudyLearningCurve]:
    """``part``'s curves, one per B, on ``context``'s stack and seeds."""
    config = study_config(context.seeds, quick=context.quick)
    curve = await run_ttt_protocol(config, stack=context.llm)
    return [
        StudyLearningCurve(
            part=part.title,
            label=f"B={b.b}",
            provider=context.provider,
            simulated=context.simulated,
            seeds=list(range(config.seeds)),
            points=[
                StudyLearningPoint(
                    episodes=p.episode, score=p.mean, ci_low=p.ci_low, ci_high=p.ci_high
                )
                for p in b.points
            ],
            llm_calls=b.llm_calls,
        )
        for b in curve.curves
    ]
