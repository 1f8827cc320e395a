"""Agents: RAFA and the baselines it is compared with."""

from rafa_async.agents._base import Agent as Agent
from rafa_async.agents._baselines import (
    DirectAgent as DirectAgent,
    OpenLoopAgent as OpenLoopAgent,
    ReflexionAgent as ReflexionAgent,
)
from rafa_async.agents._evidence import (
    EvidenceEstimator as EvidenceEstimator,
    ModelConfidence as ModelConfidence,
    SampleAgreement as SampleAgreement,
)
from rafa_async.agents._learning import (
    Learner as Learner,
    RawFeedback as RawFeedback,
    ReflectOnFeedback as ReflectOnFeedback,
)
from rafa_async.agents._match_player import (
    DirectPlayer as DirectPlayer,
    GamePlanner as GamePlanner,
    OpponentModel as OpponentModel,
    PlayerStats as PlayerStats,
    RafaPlayer as RafaPlayer,
)
from rafa_async.agents._matched import ComputeMatchedToT as ComputeMatchedToT
from rafa_async.agents._memory import Memory as Memory
from rafa_async.agents._players import (
    PolicyPlayer as PolicyPlayer,
    RandomPlayer as RandomPlayer,
    ScriptedPlayer as ScriptedPlayer,
)
from rafa_async.agents._rafa import RafaAgent as RafaAgent
from rafa_async.agents._search_player import (
    ExampleModel as ExampleModel,
    LearningStats as LearningStats,
    SearchToEndPlayer as SearchToEndPlayer,
)
from rafa_async.agents._switching import (
    StepObserved as StepObserved,
    SwitchCommitPlan as SwitchCommitPlan,
    SwitchEveryStep as SwitchEveryStep,
    SwitchingCondition as SwitchingCondition,
    SwitchOnInfoGain as SwitchOnInfoGain,
    SwitchOnMisprediction as SwitchOnMisprediction,
)
from rafa_async.agents._trials import TrialsToT as TrialsToT
from rafa_async.scenarios import AttemptModel as AttemptModel

__all__ = [
    "Agent",
    "AttemptModel",
    "ComputeMatchedToT",
    "DirectAgent",
    "DirectPlayer",
    "EvidenceEstimator",
    "ExampleModel",
    "GamePlanner",
    "Learner",
    "LearningStats",
    "Memory",
    "ModelConfidence",
    "OpenLoopAgent",
    "OpponentModel",
    "PlayerStats",
    "PolicyPlayer",
    "RafaAgent",
    "RafaPlayer",
    "RandomPlayer",
    "RawFeedback",
    "ReflectOnFeedback",
    "ReflexionAgent",
    "SampleAgreement",
    "ScriptedPlayer",
    "SearchToEndPlayer",
    "StepObserved",
    "SwitchCommitPlan",
    "SwitchEveryStep",
    "SwitchOnInfoGain",
    "SwitchOnMisprediction",
    "SwitchingCondition",
    "TrialsToT",
]
