"""Events: wire format, digests, recorder stamping and sinks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest

from rafa_async import (
    ActionRejected,
    EpisodeEnded,
    EpisodeStarted,
    Event,
    EventRecorder,
    FanoutSink,
    JsonlSink,
    ListSink,
    LLMCallEnded,
    LLMCallStarted,
    MatchEnded,
    MatchStarted,
    MatchTransition,
    MsgpackSink,
    PlanCancelled,
    PlanCompleted,
    PlanStarted,
    Transition,
    TurnStarted,
    decode_event,
    encode_event,
    log_digest,
    open_sink,
    read_events,
)

SAMPLES: list[Event] = [
    MatchStarted(
        match="m1", game="tictactoe", players={"X": "rafa", "O": "random"}, seed=0, clock="turns"
    ),
    TurnStarted(match="m1", turn=1, players=["X"], deadline=None, state="........."),
    ActionRejected(match="m1", turn=1, player="O", action="a1", reason="not your turn"),
    MatchTransition(
        match="m1",
        turn=1,
        actions={"X": "b2"},
        rewards={"X": 0.0, "O": 0.0},
        feedback={},
        late=[],
        done=False,
        state="....X....",
    ),
    MatchEnded(match="m1", turns=9, scores={"X": 0.5, "O": 0.5}, late={}, reason="draw"),
    EpisodeStarted(episode="e1", scenario="game24", agent="rafa", task="4 9 10 13"),
    EpisodeEnded(episode="e1", solved=True, reward=1.0, env_steps=3, llm_calls=42, answer="24"),
    EpisodeEnded(episode="e2", solved=False, reward=0.0, env_steps=20, llm_calls=7),
    Transition(
        episode="e1",
        step=1,
        action="4 + 9 = 13",
        accepted=True,
        feedback="accepted",
        reward=0.0,
        done=False,
        state="10 13 13",
    ),
    PlanStarted(episode="e1", plan=0, state="4 9 10 13"),
    PlanCompleted(
        episode="e1",
        plan=0,
        actions=["4 + 9 = 13", "13 - 10 = 3"],
        value=20.0,
        complete=True,
        llm_calls=12,
        elapsed=1.5,
    ),
    PlanCancelled(episode="e1", plan=1, reason="state changed"),
    LLMCallStarted(call=0, episode="e1", intent="propose"),
    LLMCallEnded(
        call=0,
        episode="e1",
        intent="propose",
        outcome="ok",
        prompt_tokens=10,
        completion_tokens=5,
        latency=0.25,
    ),
    LLMCallEnded(call=1, episode="-", intent="chat", outcome="error", error="ProviderError: x"),
    LLMCallEnded(call=2, episode="-", intent="chat", outcome="cancelled", seq=7, ts=3.5),
]


def _stamped(events: list[Event], **changes: Any) -> list[Event]:
    return [msgspec.structs.replace(e, seq=i, **changes) for i, e in enumerate(events)]


def test_samples_cover_every_event_type() -> None:
    ours = {c for c in Event.__subclasses__() if c.__module__.startswith("rafa_async.")}
    assert {type(e) for e in SAMPLES} == ours


@pytest.mark.parametrize("event", SAMPLES, ids=lambda e: type(e).__name__)
def test_decode_event_inverts_encode_event(event: Event) -> None:
    decoded = decode_event(encode_event(event))
    assert type(decoded) is type(event)
    assert decoded == event


def test_encoded_event_is_tagged_with_its_class_name() -> None:
    event = PlanStarted(episode="e1", plan=0, state="1 2 3 4")
    assert msgspec.json.decode(encode_event(event))["type"] == "PlanStarted"


def test_decode_event_accepts_str() -> None:
    event = PlanCancelled(episode="e", plan=3, reason="r")
    assert decode_event(encode_event(event).decode()) == event


@pytest.mark.parametrize("data", [b"", b"not json", b'{"type": "PlanStarted"', b"\xff\xfe"])
def test_decode_event_rejects_invalid_json(data: bytes) -> None:
    with pytest.raises(msgspec.DecodeError):
        decode_event(data)


@pytest.mark.parametrize(
    "data",
    [
        b"{}",
        b"[]",
        b'{"type": "Event"}',
        b'{"type": "NoSuchEvent", "episode": "e"}',
        b'{"type": "PlanStarted", "episode": "e"}',
        b'{"type": "PlanStarted", "episode": "e", "plan": "zero", "state": "s"}',
        b'{"type": "LLMCallEnded", "call": 0, "episode": "e", "intent": "x", "outcome": "maybe"}',
    ],
)
def test_decode_event_rejects_json_that_is_not_an_event(data: bytes) -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_event(data)


def test_recorder_assigns_increasing_seq_from_zero() -> None:
    sink = ListSink()
    recorder = EventRecorder(sink)
    for event in SAMPLES:
        recorder.emit(msgspec.structs.replace(event))
    assert [e.seq for e in sink.events] == list(range(len(SAMPLES)))


@pytest.mark.anyio
async def test_recorder_stamps_ts_from_the_event_loop_clock(anyio_backend: Any) -> None:
    sink = ListSink()
    recorder = EventRecorder(sink)
    start = anyio.current_time()
    recorder.emit(PlanStarted(episode="e", plan=0, state="s"))
    await anyio.sleep(2.5)
    recorder.emit(PlanStarted(episode="e", plan=1, state="s"))
    await anyio.sleep(40.0)
    recorder.emit(PlanStarted(episode="e", plan=2, state="s"))
    assert [e.ts - start for e in sink.events] == pytest.approx([0.0, 2.5, 42.5])


def test_recorder_outside_an_event_loop_stamps_ts_zero() -> None:
    sink = ListSink()
    EventRecorder(sink).emit(PlanStarted(episode="e", plan=0, state="s", ts=9.0))
    assert sink.events[0].ts == 0.0


def test_recorder_without_a_sink_discards_events() -> None:
    recorder = EventRecorder()
    recorder.emit(PlanStarted(episode="e", plan=0, state="s"))
    recorder.emit(PlanStarted(episode="e", plan=1, state="s"))
    event = PlanStarted(episode="e", plan=2, state="s")
    recorder.emit(event)
    assert event.seq == 2


def test_log_digest_ignores_timing_fields() -> None:
    events = _stamped(SAMPLES)
    retimed = [
        msgspec.structs.replace(
            e,
            ts=e.ts + 100.0,
            **{f: 9.75 for f in ("latency", "elapsed", "deadline") if f in e.__struct_fields__},
        )
        for e in events
    ]
    assert retimed != events
    assert log_digest(retimed) == log_digest(events)


def test_log_digest_does_not_modify_the_events() -> None:
    events = _stamped(SAMPLES, ts=5.0)
    log_digest(events)
    assert all(e.ts == 5.0 for e in events)


@pytest.mark.parametrize(
    "changes",
    [{"reason": "other reason"}, {"plan": 2}, {"episode": "e2"}, {"seq": 99}],
    ids=lambda c: next(iter(c)),
)
def test_log_digest_changes_when_the_payload_changes(changes: dict[str, Any]) -> None:
    events = _stamped(SAMPLES)
    index = next(i for i, e in enumerate(events) if isinstance(e, PlanCancelled))
    changed = list(events)
    changed[index] = msgspec.structs.replace(events[index], **changes)
    assert log_digest(changed) != log_digest(events)


def test_log_digest_depends_on_event_order() -> None:
    events = _stamped(SAMPLES)
    assert log_digest(events[::-1]) != log_digest(events)


def test_log_digest_of_a_longer_log_differs() -> None:
    events = _stamped(SAMPLES)
    assert log_digest(events[:-1]) != log_digest(events)


def test_jsonl_sink_round_trips_through_read_events(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    sink = JsonlSink(path)
    recorder = EventRecorder(sink)
    for event in SAMPLES:
        recorder.emit(msgspec.structs.replace(event))
    sink.close()
    assert list(read_events(path)) == _stamped(SAMPLES, ts=0.0)


def test_jsonl_sink_writes_one_line_per_event(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    sink = JsonlSink(path)
    for event in SAMPLES:
        sink.emit(event)
    sink.close()
    assert path.read_bytes().splitlines() == [encode_event(e) for e in SAMPLES]


def test_read_events_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    path.write_bytes(b"\n" + encode_event(SAMPLES[0]) + b"\n\n  \n" + encode_event(SAMPLES[1]))
    assert list(read_events(path)) == SAMPLES[:2]


def test_list_sink_of_type_keeps_only_that_type_in_order() -> None:
    sink = ListSink()
    for event in SAMPLES:
        sink.emit(event)
    ended = sink.of_type(LLMCallEnded)
    assert ended == [e for e in SAMPLES if type(e) is LLMCallEnded]
    assert len(ended) == 3
    assert sink.of_type(Event) == SAMPLES


def test_fanout_sink_forwards_every_event_to_every_sink() -> None:
    first, second = ListSink(), ListSink()
    fanout = FanoutSink(first, second)
    for event in SAMPLES:
        fanout.emit(event)
    assert first.events == SAMPLES
    assert second.events == SAMPLES


def test_a_recorder_without_a_sink_is_disabled_so_hot_paths_skip_events() -> None:
    assert not EventRecorder().enabled
    assert EventRecorder(ListSink()).enabled


def test_msgpack_sink_round_trips_through_read_events(tmp_path: Path) -> None:
    path = tmp_path / "log.msgpack"
    sink = open_sink(path)
    assert isinstance(sink, MsgpackSink)
    for event in SAMPLES:
        sink.emit(event)
    sink.close()
    assert list(read_events(path)) == SAMPLES
    assert path.stat().st_size < sum(len(encode_event(e)) + 1 for e in SAMPLES)


def test_a_truncated_msgpack_log_is_reported_not_silently_cut(tmp_path: Path) -> None:
    path = tmp_path / "log.msgpack"
    sink = MsgpackSink(path)
    for event in SAMPLES[:3]:
        sink.emit(event)
    sink.close()
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(msgspec.DecodeError, match="truncated"):
        list(read_events(path))


@pytest.mark.parametrize("suffix", [".jsonl", ".msgpack"])
def test_a_log_cut_mid_event_is_an_error_unless_a_cut_end_is_tolerated(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"log{suffix}"
    sink = open_sink(path)
    for event in SAMPLES[:3]:
        sink.emit(event)
    sink.close()
    path.write_bytes(path.read_bytes()[:-7])  # the writer died mid-event
    with pytest.raises(msgspec.DecodeError):
        list(read_events(path))
    assert list(read_events(path, tolerate_cut=True)) == SAMPLES[:2]


def test_a_damaged_line_before_the_end_is_an_error_even_when_cuts_are_tolerated(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(encode_event(SAMPLES[0])[:-3] + b"\n" + encode_event(SAMPLES[1]) + b"\n")
    with pytest.raises(msgspec.DecodeError):
        list(read_events(path, tolerate_cut=True))
