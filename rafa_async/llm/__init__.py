"""The LLM layer: one protocol, composable middleware, and the embedded sim."""

from rafa_async.llm._middleware import (
    ConcurrencyLimit as ConcurrencyLimit,
)
from rafa_async.llm._middleware import (
    MiddlewareStack as MiddlewareStack,
)
from rafa_async.llm._middleware import (
    Retry as Retry,
)
from rafa_async.llm._middleware import (
    Timeout as Timeout,
)
from rafa_async.llm._middleware import (
    Traced as Traced,
)
from rafa_async.llm._middleware import (
    UsageMeter as UsageMeter,
)
from rafa_async.llm._sim import (
    SIM_LABEL as SIM_LABEL,
)
from rafa_async.llm._sim import (
    FaultModel as FaultModel,
)
from rafa_async.llm._sim import (
    LatencyModel as LatencyModel,
)
from rafa_async.llm._sim import (
    NoiseModel as NoiseModel,
)
from rafa_async.llm._sim import (
    Oracle as Oracle,
)
from rafa_async.llm._sim import (
    SimContext as SimContext,
)
from rafa_async.llm._sim import (
    SimLLM as SimLLM,
)
from rafa_async.llm._types import (
    LLM as LLM,
)
from rafa_async.llm._types import (
    ChatRequest as ChatRequest,
)
from rafa_async.llm._types import (
    ChatResponse as ChatResponse,
)
from rafa_async.llm._types import (
    Intent as Intent,
)
from rafa_async.llm._types import (
    Message as Message,
)
from rafa_async.llm._types import (
    Usage as Usage,
)
from rafa_async.llm._types import (
    estimate_tokens as estimate_tokens,
)
