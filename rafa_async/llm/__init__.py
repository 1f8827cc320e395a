"""The LLM layer: one protocol, composable middleware, and the embedded sim."""

from rafa_async.llm._breaker import (
    DEFAULT_MAX_CONSECUTIVE_FAILURES as DEFAULT_MAX_CONSECUTIVE_FAILURES,
    CircuitBreaker as CircuitBreaker,
)
from rafa_async.llm._cache import Cache as Cache
from rafa_async.llm._cassette import (
    CassetteEntry as CassetteEntry,
    CassetteHeader as CassetteHeader,
    RecordedError as RecordedError,
    Recorder as Recorder,
    Replayer as Replayer,
    read_cassette as read_cassette,
)
from rafa_async.llm._config import (
    CONFIG_FILENAME as CONFIG_FILENAME,
    ModelEntry as ModelEntry,
    ProviderEntry as ProviderEntry,
    ProviderKind as ProviderKind,
    ProviderOverrides as ProviderOverrides,
    ProviderSettings as ProviderSettings,
    ProviderSpec as ProviderSpec,
    RafaConfig as RafaConfig,
    load_config as load_config,
    parse_config as parse_config,
    parse_provider_spec as parse_provider_spec,
    provider_settings as provider_settings,
    resolve_provider as resolve_provider,
)
from rafa_async.llm._cost import (
    DEFAULT_PRICES as DEFAULT_PRICES,
    ModelPrice as ModelPrice,
    PriceTable as PriceTable,
)
from rafa_async.llm._middleware import (
    ConcurrencyLimit as ConcurrencyLimit,
    MiddlewareStack as MiddlewareStack,
    Retry as Retry,
    Timeout as Timeout,
    Traced as Traced,
    UsageMeter as UsageMeter,
)
from rafa_async.llm._ratelimit import RateLimit as RateLimit
from rafa_async.llm._sim import (
    SIM_LABEL as SIM_LABEL,
    FaultModel as FaultModel,
    LatencyModel as LatencyModel,
    NoiseModel as NoiseModel,
    Oracle as Oracle,
    SimContext as SimContext,
    SimLLM as SimLLM,
)
from rafa_async.llm._types import (
    LLM as LLM,
    ChatRequest as ChatRequest,
    ChatResponse as ChatResponse,
    ChatStream as ChatStream,
    Intent as Intent,
    IntentKind as IntentKind,
    Message as Message,
    StreamingLLM as StreamingLLM,
    Usage as Usage,
    estimate_tokens as estimate_tokens,
)
from rafa_async.llm.http import (
    AiohttpTransport as AiohttpTransport,
    H11Transport as H11Transport,
    HttpRequest as HttpRequest,
    HttpResponse as HttpResponse,
    HttpStream as HttpStream,
    HttpTransport as HttpTransport,
    MockTransport as MockTransport,
    SSEDecoder as SSEDecoder,
    SSEEvent as SSEEvent,
    Timeouts as Timeouts,
    TransportKind as TransportKind,
    aiter_sse as aiter_sse,
    default_transport as default_transport,
)
