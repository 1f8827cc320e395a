"""Per-episode accounting that follows tasks through task groups.

An agent runs an episode inside :func:`episode_scope`; every LLM call made by
any task started beneath it (planner fan-out included: anyio copies the
context into child tasks on both trio and asyncio) is counted in that scope's
:class:`CallCounts`, and its trace events carry the episode id.  Scopes nest
(a match, then one per agent in it); a call counts in each enclosing scope.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(slots=True)
class CallCounts:
    """LLM call accounting: every started call ends in exactly one outcome bucket.

    Of the completed calls, ``cached`` were answered without reaching a
    provider (response cache, cassette replay): they count tokens (what the
    agent consumed) but cost nothing.  ``cost_usd`` sums the priced calls;
    ``unpriced`` counts completed calls whose model has no known price.
    """

    started: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    cached: int = 0
    cost_usd: float = 0.0
    unpriced: int = 0
    simulated: int = 0
    streamed: int = 0
    """Completed calls that were streamed; ``ttft_total`` sums their times to
    first token (seconds)."""
    ttft_total: float = 0.0
    """Completed calls answered by a simulated LLM (in process or over HTTP):
    any of them makes a result a simulation, to be labelled as such."""
    last_error: str | None = None
    """The last failed call's error, as ``Type: message``."""

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cost(self) -> float | None:
        """USD spent, or ``None`` (unknown, not zero) if any call was unpriced."""
        return None if self.unpriced else self.cost_usd

    @property
    def mean_ttft(self) -> float | None:
        """Mean time to first token of the streamed calls (None if none)."""
        return self.ttft_total / self.streamed if self.streamed else None

    @property
    def none_answered(self) -> bool:
        """No call was answered and at least one failed: whatever was done
        with these calls was done without the model, so a result says
        nothing about it (a provider error, not a model's failure)."""
        return self.completed == 0 and self.failed > 0

    @property
    def in_flight(self) -> int:
        return self.started - self.completed - self.failed - self.cancelled


@dataclass(slots=True)
class EpisodeScope:
    """Counts of the calls made beneath it.  Scopes nest (a match, then each
    agent in it): a call counts in its innermost scope and in every one around
    it, so ``calls`` of a match includes its agents'."""

    episode: str
    calls: CallCounts = field(default_factory=CallCounts)
    parent: EpisodeScope | None = None
    tallies: tuple[CallCounts, ...] = field(init=False, repr=False, compare=False)
    """``calls`` of this scope and of every scope around it, innermost first."""

    def __post_init__(self) -> None:
        self.tallies = (self.calls, *(self.parent.tallies if self.parent else ()))


@dataclass(slots=True)
class CallNote:
    """What middleware below a :class:`~rafa_async.llm.UsageMeter` tells it
    about the call in progress."""

    cached: bool = False


_NO_SCOPE = EpisodeScope(episode="-")
_current: contextvars.ContextVar[EpisodeScope] = contextvars.ContextVar(
    "rafa_episode_scope", default=_NO_SCOPE
)


CALL_NOTE: contextvars.ContextVar[CallNote | None] = contextvars.ContextVar(
    "rafa_call_note", default=None
)
"""Set by the meter around each call (directly: a context manager costs ~1 us)."""


def note_cached_call() -> None:
    """Tell the meter above that this call is answered without a provider."""
    note = CALL_NOTE.get()
    if note is not None:
        note.cached = True


def current_scope() -> EpisodeScope:
    """The innermost episode scope of the calling task ("-" outside any)."""
    return _current.get()


@contextmanager
def episode_scope(episode: str) -> Iterator[EpisodeScope]:
    """Count LLM calls made by this task and its children under ``episode``
    (and in the scopes around it)."""
    outer = _current.get()
    scope = EpisodeScope(episode=episode, parent=None if outer is _NO_SCOPE else outer)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


_sampling_seed: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "rafa_sampling_seed", default=None
)


def current_sampling_seed() -> int | None:
    """The sampling seed of the calling task's calls (``None``: none set)."""
    return _sampling_seed.get()


@contextmanager
def sampling_seed(seed: int) -> Iterator[None]:
    """Seed the sampling of the LLM calls made beneath (this task and its
    children), like a chat API's ``seed`` parameter: the simulated LLM draws
    a request's answer from its seed, its content *and* this seed, so two
    matches of a tournament that reach the same position are sampled
    independently instead of replaying each other's answers.  The response
    cache and cassettes key on it too.  Outside any, calls are sampled as
    before (no sampling seed)."""
    token = _sampling_seed.set(seed)
    try:
        yield
    finally:
        _sampling_seed.reset(token)
