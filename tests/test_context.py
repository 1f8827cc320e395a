"""Episode scopes follow tasks through task groups."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from rafa_async import CallCounts, EpisodeScope, current_scope, episode_scope


def test_current_scope_outside_any_scope_is_dash() -> None:
    assert current_scope().episode == "-"


def test_episode_scope_is_current_inside_and_gone_after() -> None:
    with episode_scope("ep-1") as scope:
        assert current_scope() is scope
        assert scope.episode == "ep-1"
    assert current_scope().episode == "-"


def test_episode_scope_starts_with_zero_counts() -> None:
    with episode_scope("ep-1") as scope:
        assert scope.calls == CallCounts()


def test_nested_scope_shadows_then_restores_the_outer_one() -> None:
    with episode_scope("outer") as outer:
        with episode_scope("inner") as inner:
            assert current_scope() is inner
        assert current_scope() is outer
    assert current_scope().episode == "-"


def test_episode_scope_is_restored_when_the_body_raises() -> None:
    with pytest.raises(KeyError), episode_scope("ep"):
        raise KeyError("boom")
    assert current_scope().episode == "-"


def test_call_counts_in_flight_is_started_minus_finished() -> None:
    counts = CallCounts(started=10, completed=4, failed=2, cancelled=1)
    assert counts.in_flight == 3


def test_call_counts_tokens_sums_prompt_and_completion() -> None:
    assert CallCounts(prompt_tokens=7, completion_tokens=5).tokens == 12


async def note_scope(seen: list[EpisodeScope]) -> None:
    """After a checkpoint (so the task really runs after its spawner moved
    on), record the scope the running task sees."""
    await anyio.sleep(1)
    seen.append(current_scope())


def episodes(seen: list[EpisodeScope]) -> list[str]:
    return [scope.episode for scope in seen]


@pytest.mark.anyio
async def test_child_tasks_see_the_scope_they_were_started_in(anyio_backend: Any) -> None:
    seen: list[EpisodeScope] = []

    with episode_scope("ep") as scope:
        async with anyio.create_task_group() as tg:
            for _ in range(3):
                tg.start_soon(note_scope, seen)
    assert len(seen) == 3
    assert all(s is scope for s in seen)


@pytest.mark.anyio
async def test_grandchild_tasks_see_the_scope(anyio_backend: Any) -> None:
    seen: list[EpisodeScope] = []

    async def child() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(note_scope, seen)
            tg.start_soon(note_scope, seen)

    with episode_scope("ep"):
        async with anyio.create_task_group() as tg:
            tg.start_soon(child)
    assert episodes(seen) == ["ep", "ep"]


@pytest.mark.anyio
async def test_concurrent_episodes_keep_separate_scopes(anyio_backend: Any) -> None:
    seen: dict[str, list[EpisodeScope]] = {"a": [], "b": []}

    async def episode(name: str) -> None:
        with episode_scope(name):
            async with anyio.create_task_group() as tg:
                for _ in range(2):
                    tg.start_soon(note_scope, seen[name])
            await note_scope(seen[name])

    async with anyio.create_task_group() as tg:
        tg.start_soon(episode, "a")
        tg.start_soon(episode, "b")
    assert {name: episodes(scopes) for name, scopes in seen.items()} == {
        "a": ["a", "a", "a"],
        "b": ["b", "b", "b"],
    }
    assert current_scope().episode == "-"


@pytest.mark.anyio
async def test_child_task_sees_nested_scope_of_its_spawner(anyio_backend: Any) -> None:
    seen: list[EpisodeScope] = []

    with episode_scope("outer"):
        async with anyio.create_task_group() as tg:
            with episode_scope("inner"):
                tg.start_soon(note_scope, seen)
            tg.start_soon(note_scope, seen)
    assert sorted(episodes(seen)) == ["inner", "outer"]


@pytest.mark.anyio
async def test_scope_entered_in_a_child_does_not_leak_to_the_parent(anyio_backend: Any) -> None:
    async def child() -> None:
        with episode_scope("child"):
            await anyio.sleep(1)

    with episode_scope("parent") as parent:
        async with anyio.create_task_group() as tg:
            tg.start_soon(child)
            await anyio.sleep(0.5)
            assert current_scope() is parent
        assert current_scope() is parent
