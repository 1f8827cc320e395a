"""rafa-async: RAFA ("Reason for Future, Act for Now") agents, asynchronously.

The names users import.  Subpackages: :mod:`rafa_async.llm` (protocol,
middleware, simulated LLM), :mod:`rafa_async.planners`,
:mod:`rafa_async.agents`, :mod:`rafa_async.scenarios`,
:mod:`rafa_async.experiment` (running benchmarks) and the ``rafa`` CLI.
"""

from rafa_async._context import (
    CallCounts as CallCounts,
)
from rafa_async._context import (
    EpisodeScope as EpisodeScope,
)
from rafa_async._context import (
    current_scope as current_scope,
)
from rafa_async._context import (
    episode_scope as episode_scope,
)
from rafa_async._env import (
    Environment as Environment,
)
from rafa_async._env import (
    EpisodeDriver as EpisodeDriver,
)
from rafa_async._env import (
    EpisodeOver as EpisodeOver,
)
from rafa_async._env import (
    Outcome as Outcome,
)
from rafa_async._errors import (
    ConfigError as ConfigError,
)
from rafa_async._errors import (
    LLMError as LLMError,
)
from rafa_async._errors import (
    LLMTimeout as LLMTimeout,
)
from rafa_async._errors import (
    MalformedResponse as MalformedResponse,
)
from rafa_async._errors import (
    ProviderError as ProviderError,
)
from rafa_async._errors import (
    RafaError as RafaError,
)
from rafa_async._errors import (
    RateLimited as RateLimited,
)
from rafa_async._events import (
    EpisodeEnded as EpisodeEnded,
)
from rafa_async._events import (
    EpisodeStarted as EpisodeStarted,
)
from rafa_async._events import (
    Event as Event,
)
from rafa_async._events import (
    EventRecorder as EventRecorder,
)
from rafa_async._events import (
    EventSink as EventSink,
)
from rafa_async._events import (
    FanoutSink as FanoutSink,
)
from rafa_async._events import (
    JsonlSink as JsonlSink,
)
from rafa_async._events import (
    ListSink as ListSink,
)
from rafa_async._events import (
    LLMCallEnded as LLMCallEnded,
)
from rafa_async._events import (
    LLMCallStarted as LLMCallStarted,
)
from rafa_async._events import (
    NullSink as NullSink,
)
from rafa_async._events import (
    PlanCancelled as PlanCancelled,
)
from rafa_async._events import (
    PlanCompleted as PlanCompleted,
)
from rafa_async._events import (
    PlanStarted as PlanStarted,
)
from rafa_async._events import (
    Transition as Transition,
)
from rafa_async._events import (
    decode_event as decode_event,
)
from rafa_async._events import (
    encode_event as encode_event,
)
from rafa_async._events import (
    log_digest as log_digest,
)
from rafa_async._events import (
    read_events as read_events,
)

__version__ = "0.1.0"

__all__ = [
    "CallCounts",
    "ConfigError",
    "Environment",
    "EpisodeDriver",
    "EpisodeEnded",
    "EpisodeOver",
    "EpisodeScope",
    "EpisodeStarted",
    "Event",
    "EventRecorder",
    "EventSink",
    "FanoutSink",
    "JsonlSink",
    "LLMCallEnded",
    "LLMCallStarted",
    "LLMError",
    "LLMTimeout",
    "ListSink",
    "MalformedResponse",
    "NullSink",
    "Outcome",
    "PlanCancelled",
    "PlanCompleted",
    "PlanStarted",
    "ProviderError",
    "RafaError",
    "RateLimited",
    "Transition",
    "__version__",
    "current_scope",
    "decode_event",
    "encode_event",
    "episode_scope",
    "log_digest",
    "read_events",
]
