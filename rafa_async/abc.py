"""Every protocol a user of rafa-async implements, in one place.

The framework is extended by writing a class that has the right methods; no
base class is needed (these are :class:`typing.Protocol` classes, checked by
mypy, not at run time).  Each lives with the layer that uses it and is
re-exported here, grouped by what you are adding:

**An LLM provider** (a new API, a local model, a stub for tests):
    :class:`LLM` -- ``async complete(ChatRequest) -> ChatResponse``.  Add
    :class:`StreamingLLM` (``stream(...)`` yielding a :class:`ChatStream`) to
    report time to first token.  Wrap it in
    :class:`~rafa_async.llm.MiddlewareStack` for limits, retries, caching and
    cassettes.  An HTTP provider kind that ``--provider`` and ``rafa.toml``
    can name is a :class:`ProviderFactory` plus one entry in the provider
    table (:func:`~rafa_async.llm.register_provider_kind`).

**An HTTP transport** (another client library): :class:`HttpTransport`,
    whose streamed bodies are :class:`HttpStream`.

**A game for shared matches** (``rafa play``): the rules are a :class:`Game`
    (pure ``step``; the match host owns time); the LLM-facing side is a
    :class:`GameModel` (an :class:`ActorModel` that also predicts replies and
    judges positions), whose parsed answers are :class:`Proposal`; the
    simulated LLM answers its prompts through an :class:`Oracle`.  To be
    searched to the end by RAFA as in the paper's Tic-Tac-Toe
    (``rafa-search``), its world model is also a :class:`LearnedGameModel`
    (board transition and winner models) and an :class:`ExampleModel` (the
    in-context example each model learns from a misprediction).

**A single-agent benchmark** (``rafa run``): a :class:`Benchmark` of
    :class:`Task` s, each played in an :class:`Environment`; the planners see
    it through a :class:`WorldModel` (and an :class:`AttemptModel` for the
    agents that answer in one go): together a :class:`BenchmarkWorld`.

**A player, an agent or a planner**: a match :class:`Player` (or a
    :class:`ReactivePlayer`, which takes its seat's events inline); a
    single-agent :class:`Agent`; a :class:`Planner` (or, for games, a
    :class:`GamePlanner` and an :class:`OpponentModel`); when RAFA refreshes
    the memory snapshot it plans from, a :class:`SwitchingCondition` (and for
    ``info-gain``, how surprising a step was, an :class:`EvidenceEstimator`);
    what it stores per step besides the feedback, a :class:`Learner`.

**Where events go**: an :class:`EventSink` (``emit(event)``).

**Where a tournament's matches are played** (another cluster, a process
    pool): an :class:`Executor`, an async context manager with
    ``async play(PlannedMatch) -> MatchOutcome``.

Every method that can block says in its own docstring what cancels it.
"""

from rafa_async._env import Environment as Environment
from rafa_async._events import EventSink as EventSink
from rafa_async._game import Game as Game
from rafa_async._match import Player as Player, ReactivePlayer as ReactivePlayer
from rafa_async.agents import (
    Agent as Agent,
    EvidenceEstimator as EvidenceEstimator,
    ExampleModel as ExampleModel,
    Learner as Learner,
    SwitchingCondition as SwitchingCondition,
)
from rafa_async.agents._match_player import (
    GamePlanner as GamePlanner,
    OpponentModel as OpponentModel,
)
from rafa_async.llm import (
    LLM as LLM,
    ChatStream as ChatStream,
    Oracle as Oracle,
    ProviderFactory as ProviderFactory,
    StreamingLLM as StreamingLLM,
)
from rafa_async.llm.http import HttpStream as HttpStream, HttpTransport as HttpTransport
from rafa_async.planners import LearnedGameModel as LearnedGameModel, Planner as Planner
from rafa_async.scenarios import (
    ActorModel as ActorModel,
    AttemptModel as AttemptModel,
    Benchmark as Benchmark,
    BenchmarkWorld as BenchmarkWorld,
    GameModel as GameModel,
    Proposal as Proposal,
    Task as Task,
    WorldModel as WorldModel,
)
from rafa_async.tournament import Executor as Executor

__all__ = [
    "LLM",
    "ActorModel",
    "Agent",
    "AttemptModel",
    "Benchmark",
    "BenchmarkWorld",
    "ChatStream",
    "Environment",
    "EventSink",
    "EvidenceEstimator",
    "ExampleModel",
    "Executor",
    "Game",
    "GameModel",
    "GamePlanner",
    "HttpStream",
    "HttpTransport",
    "LearnedGameModel",
    "Learner",
    "OpponentModel",
    "Oracle",
    "Planner",
    "Player",
    "Proposal",
    "ProviderFactory",
    "ReactivePlayer",
    "StreamingLLM",
    "SwitchingCondition",
    "Task",
    "WorldModel",
]
