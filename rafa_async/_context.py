"""Per-episode accounting that follows tasks through task groups.

An agent runs an episode inside :func:`episode_scope`; every LLM call made by
any task started beneath it (planner fan-out included: anyio copies the
context into child tasks on both trio and asyncio) is counted in that scope's
:class:`CallCounts`, and its trace events carry the episode id.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass(slots=True)
class CallCounts:
    """LLM call accounting: every started call ends in exactly one outcome bucket."""

    started: int = 0
    completed: int = 0
    failed: int = 0
    cancelled: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def in_flight(self) -> int:
        return self.started - self.completed - self.failed - self.cancelled


@dataclass(slots=True)
class EpisodeScope:
    episode: str
    calls: CallCounts = field(default_factory=CallCounts)


_NO_SCOPE = EpisodeScope(episode="-")
_current: contextvars.ContextVar[EpisodeScope] = contextvars.ContextVar(
    "rafa_episode_scope", default=_NO_SCOPE
)


def current_scope() -> EpisodeScope:
    """The innermost episode scope of the calling task ("-" outside any)."""
    return _current.get()


@contextmanager
def episode_scope(episode: str) -> Iterator[EpisodeScope]:
    """Count LLM calls made by this task and its children under ``episode``."""
    scope = EpisodeScope(episode=episode)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
