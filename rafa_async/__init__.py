"""rafa-async: RAFA ("Reason for Future, Act for Now") agents, asynchronously.

The names users import.  Subpackages: :mod:`rafa_async.llm` (protocol,
middleware, simulated LLM), :mod:`rafa_async.planners`,
:mod:`rafa_async.agents`, :mod:`rafa_async.scenarios`,
:mod:`rafa_async.experiment` (running benchmarks) and the ``rafa`` CLI.
"""

from rafa_async._bus import (
    Delivery as Delivery,
    EventBus as EventBus,
    Overflow as Overflow,
    Subscription as Subscription,
)
from rafa_async._context import (
    CallCounts as CallCounts,
    EpisodeScope as EpisodeScope,
    current_scope as current_scope,
    episode_scope as episode_scope,
)
from rafa_async._env import (
    Environment as Environment,
    EpisodeDriver as EpisodeDriver,
    EpisodeOver as EpisodeOver,
    Outcome as Outcome,
)
from rafa_async._errors import (
    ConfigError as ConfigError,
    LLMError as LLMError,
    LLMTimeout as LLMTimeout,
    MalformedResponse as MalformedResponse,
    ProviderError as ProviderError,
    RafaError as RafaError,
    RateLimited as RateLimited,
)
from rafa_async._events import (
    EpisodeEnded as EpisodeEnded,
    EpisodeStarted as EpisodeStarted,
    Event as Event,
    EventRecorder as EventRecorder,
    EventSink as EventSink,
    FanoutSink as FanoutSink,
    JsonlSink as JsonlSink,
    ListSink as ListSink,
    LLMCallEnded as LLMCallEnded,
    LLMCallStarted as LLMCallStarted,
    NullSink as NullSink,
    PlanCancelled as PlanCancelled,
    PlanCompleted as PlanCompleted,
    PlanStarted as PlanStarted,
    Transition as Transition,
    decode_event as decode_event,
    encode_event as encode_event,
    log_digest as log_digest,
    read_events as read_events,
)
from rafa_async._game import (
    NOOP as NOOP,
    Game as Game,
    Step as Step,
)

__version__ = "0.1.0"

__all__ = [
    "NOOP",
    "CallCounts",
    "ConfigError",
    "Delivery",
    "Environment",
    "EpisodeDriver",
    "EpisodeEnded",
    "EpisodeOver",
    "EpisodeScope",
    "EpisodeStarted",
    "Event",
    "EventBus",
    "EventRecorder",
    "EventSink",
    "FanoutSink",
    "Game",
    "JsonlSink",
    "LLMCallEnded",
    "LLMCallStarted",
    "LLMError",
    "LLMTimeout",
    "ListSink",
    "MalformedResponse",
    "NullSink",
    "Outcome",
    "Overflow",
    "PlanCancelled",
    "PlanCompleted",
    "PlanStarted",
    "ProviderError",
    "RafaError",
    "RateLimited",
    "Step",
    "Subscription",
    "Transition",
    "__version__",
    "current_scope",
    "decode_event",
    "encode_event",
    "episode_scope",
    "log_digest",
    "read_events",
]
