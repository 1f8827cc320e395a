"""Record/replay: cassettes reproduce runs offline, and say clearly when they cannot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import msgspec
import pytest
import structlog.testing
from support import EchoLLM

from rafa_async import (
    CassetteMismatch,
    ConfigError,
    ConnectFailed,
    LLMError,
    MalformedResponse,
    ProviderError,
    RateLimited,
)
from rafa_async.app import BenchmarkConfig, run_benchmark
from rafa_async.llm import (
    ChatRequest,
    ChatResponse,
    Intent,
    LatencyModel,
    Message,
    MiddlewareStack,
    NoiseModel,
    Recorder,
    Replayer,
    SimLLM,
    read_cassette,
)
from rafa_async.llm._keys import answering_llm
from rafa_async.scenarios.game24 import Game24Oracle, Game24Record

pytestmark = pytest.mark.anyio


def ask(text: str = "What is 4 + 9?", **fields: Any) -> ChatRequest:
    return ChatRequest(messages=(Message("user", text),), **fields)


def propose(state: str, text: str, sample: int = 0) -> ChatRequest:
    intent = Intent(kind="propose", scenario="game24", state=state, sample=sample)
    return ask(text, intent=intent)


class Numbered:
    """Answers ``answer <n>`` to its n-th call (1-based), whatever was asked."""

    def __init__(self, latency: float = 0.0) -> None:
        self.calls = 0
        self.latency = latency

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.calls += 1
        n = self.calls
        await anyio.sleep(self.latency)
        return ChatResponse(text=f"answer {n}", model="numbered")


async def record(path: Path, inner: Any, requests: list[ChatRequest]) -> list[ChatResponse]:
    recorder = Recorder(inner, path)
    try:
        return [await recorder.complete(r) for r in requests]
    finally:
        recorder.close()


async def cancel_half_way(recorder: Recorder, request: ChatRequest) -> None:
    """Cancel ``request`` half a second into a call that takes one (the recorder's
    LLM is a ``Numbered(latency=1.0)``): the cassette records it as cancelled."""
    with anyio.move_on_after(0.5):
        await recorder.complete(request)


# -- record and replay -------------------------------------------------------------------------


async def test_replay_answers_every_recorded_call_without_a_provider(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    requests = [ask("a"), ask("b", model="m2"), ask("c", temperature=0.0)]
    recorded = await record(path, EchoLLM(), requests)
    replayer = Replayer(path)
    assert [await replayer.complete(r) for r in requests] == recorded
    assert replayer.replayed == 3


async def test_a_request_recorded_k_times_replays_k_answers_in_recorded_order(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    await record(path, Numbered(), [ask("same"), ask("other"), ask("same"), ask("same")])
    replayer = Replayer(path)
    answers = [(await replayer.complete(ask("same"))).text for _ in range(3)]
    assert answers == ["answer 1", "answer 3", "answer 4"]
    assert (await replayer.complete(ask("other"))).text == "answer 2"


async def test_replay_does_not_depend_on_arrival_order(anyio_backend: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.cassette"
    requests = [propose("1 2 3 4", f"prompt {i}", sample=i) for i in range(6)]
    recorded = await record(path, Numbered(), requests)
    replayer = Replayer(path)
    replies: dict[int, ChatResponse] = {}

    async def one(i: int) -> None:
        await anyio.sleep(6 - i)  # the reverse of the recorded order
        replies[i] = await replayer.complete(requests[i])

    async with anyio.create_task_group() as tg:
        for i in range(6):
            tg.start_soon(one, i)
    assert [replies[i] for i in range(6)] == recorded


@pytest.mark.parametrize(
    "error",
    [
        ProviderError("service unavailable", status=503, retryable=True),
        ProviderError("overloaded", status=529, retryable=True, retry_after=2.0),
        ProviderError("bad request", status=400),
        RateLimited("slow down", retry_after=3.5),
        MalformedResponse("no answer line", text="hmm, 24?"),
        LLMError("odd"),
        ProviderError("no quota left", status=429, fatal=True),
        ConnectFailed("could not connect"),
    ],
    ids=["503", "529-retry-after", "400", "429", "malformed", "llm-error", "quota", "unreachable"],
)
async def test_recorded_errors_replay_as_the_same_typed_error(
    anyio_backend: Any, tmp_path: Path, error: LLMError
) -> None:
    path = tmp_path / "run.cassette"
    recorder = Recorder(EchoLLM(error), path)
    with pytest.raises(type(error)):
        await recorder.complete(ask())
    recorder.close()
    with pytest.raises(type(error)) as replayed:
        await Replayer(path).complete(ask())
    again = replayed.value
    assert str(again) == str(error)
    assert again.retryable == error.retryable
    assert again.fatal == error.fatal
    for name in ("status", "retry_after", "text"):
        assert getattr(again, name, None) == getattr(error, name, None)


async def test_an_adapters_own_error_class_replays_as_its_base(
    anyio_backend: Any, tmp_path: Path
) -> None:
    class ModelNotFound(ProviderError):
        pass

    path = tmp_path / "run.cassette"
    recorder = Recorder(EchoLLM(ModelNotFound("openai: no model 'gpt-9'", status=404)), path)
    with pytest.raises(ModelNotFound):
        await recorder.complete(ask())
    recorder.close()
    with pytest.raises(ProviderError, match="no model 'gpt-9'") as replayed:
        await Replayer(path).complete(ask())
    assert replayed.value.status == 404


async def test_cancelled_calls_are_recorded_and_skipped_by_replay(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    recorder = Recorder(Numbered(latency=1.0), path)
    await cancel_half_way(recorder, ask())
    await recorder.complete(ask())
    recorder.close()
    _, entries = read_cassette(path)
    assert [e.outcome for e in entries] == ["cancelled", "ok"]
    assert entries[0].seconds == pytest.approx(0.5)
    assert (await Replayer(path).complete(ask())).text == "answer 2"


async def test_recorded_latency_is_replayed_on_request(anyio_backend: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.cassette"
    await record(path, Numbered(latency=2.5), [ask()])
    start = anyio.current_time()
    await Replayer(path).complete(ask())
    assert anyio.current_time() == start
    await Replayer(path, latency="recorded").complete(ask())
    assert anyio.current_time() - start == pytest.approx(2.5)


async def test_a_call_cancelled_while_replaying_latency_puts_its_answer_back(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    await record(path, Numbered(latency=2.0), [ask(), ask()])
    replayer = Replayer(path, latency="recorded")
    with anyio.move_on_after(1.0):
        await replayer.complete(ask())
    assert (await replayer.complete(ask())).text == "answer 1"
    assert (await replayer.complete(ask())).text == "answer 2"


# -- mismatches -----------------------------------------------------------------------------


async def test_an_unrecorded_request_names_itself_and_the_nearest_recorded_one(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    long_prompt = "Use the numbers 4 9 10 13 to make 24. " + "Think step by step. " * 20
    await record(
        path,
        EchoLLM(),
        [propose("4 9 10 13", long_prompt), propose("1 1 1 1", "Use 1 1 1 1", sample=3)],
    )
    changed = propose("4 9 10 13", long_prompt.replace("make 24", "make 42"))
    with pytest.raises(CassetteMismatch) as info:
        await Replayer(path).complete(changed)
    message = str(info.value)
    assert f"cassette {path} cannot answer a request: it was never recorded" in message
    assert "intent: propose game24 state='4 9 10 13' sample=0" in message
    assert repr(long_prompt.replace("make 24", "make 42")[:200] + "...") in message
    assert "nearest recorded request differs in messages[0].content at character 34" in message
    assert "recorded 'the numbers 4 9 10 13 to make 24. Think step by step. Think '" in message
    assert not isinstance(info.value, LLMError)  # planners must not absorb it
    assert isinstance(info.value, ConfigError)


async def test_a_changed_setting_is_named_in_the_hint(anyio_backend: Any, tmp_path: Path) -> None:
    path = tmp_path / "run.cassette"
    await record(path, EchoLLM(), [propose("4 9 10 13", "same prompt")])
    changed = msgspec.structs.replace(propose("4 9 10 13", "same prompt"), temperature=0.2)
    with pytest.raises(CassetteMismatch, match=r"differs in temperature: recorded 0.7, now 0.2"):
        await Replayer(path).complete(changed)


async def test_a_request_asked_more_often_than_recorded_says_so(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    await record(path, EchoLLM(), [ask()])
    replayer = Replayer(path)
    await replayer.complete(ask())
    with pytest.raises(CassetteMismatch, match=r"recorded 1 time\(s\) and this run asks .* #2"):
        await replayer.complete(ask())


async def test_a_chat_request_without_intent_is_described(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    await record(path, EchoLLM(), [])
    with pytest.raises(CassetteMismatch, match=r"intent: none \(label 'chat'\)"):
        await Replayer(path).complete(ask())


async def test_a_call_recorded_only_as_cancelled_says_so(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    recorder = Recorder(Numbered(latency=1.0), path)
    await cancel_half_way(recorder, ask("stale plan"))
    recorder.close()
    with pytest.raises(CassetteMismatch) as info:
        await Replayer(path).complete(ask("stale plan"))
    first, *rest = str(info.value).splitlines()
    assert first.startswith(
        f"cassette {path} cannot answer a request: it was recorded only as cancelled (1 time(s))"
    )
    assert "cancelled before it ended" in first
    assert "nothing visible" not in str(info.value)
    assert not [line for line in rest if "nearest recorded request" in line]


async def test_a_request_answered_then_cancelled_counts_both(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    recorder = Recorder(Numbered(latency=1.0), path)
    await recorder.complete(ask())
    await cancel_half_way(recorder, ask())
    recorder.close()
    replayer = Replayer(path)
    await replayer.complete(ask())
    with pytest.raises(CassetteMismatch, match=r"recorded 1 time\(s\) .* holds no answer"):
        await replayer.complete(ask())


# -- a cassette cut short --------------------------------------------------------------------


async def cut_cassette(path: Path, keep: int) -> None:
    """Record three calls, then cut the file ``keep`` bytes into its last line."""
    await record(path, Numbered(), [ask("a"), ask("b"), ask("c")])
    cut_last_line(path, keep)


def cut_last_line(path: Path, keep: int) -> None:
    data = path.read_bytes()
    last = data.rstrip(b"\n").rfind(b"\n") + 1
    path.write_bytes(data[: last + keep])


@pytest.mark.parametrize("keep", [1, 12, 60, 200], ids=["brace", "in-key", "after-key", "late"])
async def test_a_cassette_cut_mid_line_replays_its_complete_calls_and_reports_the_cut(
    anyio_backend: Any, tmp_path: Path, keep: int
) -> None:
    path = tmp_path / "run.cassette"
    await cut_cassette(path, keep)
    with structlog.testing.capture_logs() as logs:
        replayer = Replayer(path)
    assert replayer.cut is not None
    assert (replayer.cut.line, replayer.cut.complete) == (4, 2)
    assert (replayer.cut.key is not None) == (keep >= 60)
    (warning,) = [log for log in logs if log["event"] == "cassette_cut_short"]
    assert (warning["log_level"], warning["line"], warning["complete_calls"]) == ("warning", 4, 2)
    assert [(await replayer.complete(ask(t))).text for t in "ab"] == ["answer 1", "answer 2"]
    with pytest.raises(CassetteMismatch) as info:
        await replayer.complete(ask("c"))
    first = str(info.value).splitlines()[0]
    assert "the cassette was cut short at line 4 after 2 complete calls" in first
    if keep >= 60:
        assert "it is the call the cassette was cut short in, at line 4" in first
        assert "nearest recorded request" not in str(info.value)


async def test_a_whole_cassette_and_one_missing_only_its_last_newline_are_not_cut(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    await record(path, Numbered(), [ask("a"), ask("b")])
    assert Replayer(path).cut is None
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    replayer = Replayer(path)
    assert replayer.cut is None
    assert (await replayer.complete(ask("b"))).text == "answer 2"


async def test_only_the_last_line_may_be_cut(tmp_path: Path) -> None:
    path = tmp_path / "run.cassette"
    await cut_cassette(path, 30)
    path.write_bytes(path.read_bytes() + b"\n" + b'{"key": "later"}\n')
    with pytest.raises(ConfigError, match=rf"cassette {path} line 4: "):
        Replayer(path)


def test_a_cassette_cut_in_its_header_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "run.cassette"
    path.write_bytes(b'{"format": "rafa-cass')
    with pytest.raises(ConfigError, match="was cut off in its header line"):
        Replayer(path)


# -- which LLM recorded it -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identity", "llm"),
    [
        ("openai:gpt-4o-mini@https://api.openai.com/v1", "openai:gpt-4o-mini"),
        ("local:llama3:8b@http://127.0.0.1:8000/v1", "local:llama3:8b"),
        (
            "vertex:claude-3-5-sonnet@20240620@https://x.example/v1",
            "vertex:claude-3-5-sonnet@20240620",
        ),
        ("anthropic:claude-3-5-sonnet@20240620", "anthropic:claude-3-5-sonnet@20240620"),
        ("sim:sim:seed=0:0123abcd", "sim:sim:seed=0:0123abcd"),
        ("support.EchoLLM", "support.EchoLLM"),
    ],
)
def test_the_answering_llm_of_an_identity_leaves_out_where_it_was_served(
    identity: str, llm: str
) -> None:
    assert answering_llm(identity) == llm


async def test_a_replay_refuses_a_cassette_recorded_from_another_llm(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    async with MiddlewareStack(
        EchoLLM(identity="openai:sim@http://127.0.0.1:8000/v1"), record=path
    ) as stack:
        recorded = await stack.complete(ask())
    elsewhere = EchoLLM(identity="openai:sim@http://127.0.0.1:9/v1")  # another server is fine
    async with MiddlewareStack(elsewhere, replay=path) as replay:
        assert await replay.complete(ask()) == recorded
    for other in (
        "anthropic:claude-3-5-haiku@https://api.anthropic.com",
        "openai:gpt-4o@http://127.0.0.1:8000/v1",
    ):
        with pytest.raises(CassetteMismatch) as info:
            MiddlewareStack(EchoLLM(identity=other), replay=path)
        message = str(info.value)
        assert "\n" not in message
        assert (
            f"was recorded from openai:sim, but this run replays it as {answering_llm(other)}"
            in message
        )


async def test_a_sim_cassette_replays_only_for_the_same_seed(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    sim = SimLLM({"game24": Game24Oracle()}, seed=0)
    async with MiddlewareStack(sim, record=path) as stack:
        await stack.complete(propose("4 9 10 13", "propose"))
    MiddlewareStack(SimLLM({"game24": Game24Oracle()}, seed=0), replay=path)
    with pytest.raises(
        CassetteMismatch, match=r"recorded from sim:sim:seed=0:.* as sim:sim:seed=1:"
    ):
        MiddlewareStack(SimLLM({"game24": Game24Oracle()}, seed=1), replay=path)


# -- files and secrets ----------------------------------------------------------------------


class KeyedLLM(EchoLLM):
    """A provider that holds an API key, as a real adapter would."""

    def __init__(self) -> None:
        super().__init__(identity="openai:gpt-4o-mini@https://api.example.com/v1")
        self.api_key = "sk-test-SECRET-0123456789abcdef"
        self.headers = {"Authorization": f"Bearer {self.api_key}"}


async def test_a_cassette_never_contains_the_providers_api_key(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    provider = KeyedLLM()
    async with MiddlewareStack(provider, record=path) as stack:
        await stack.complete(ask())
        await stack.complete(propose("4 9 10 13", "propose a step"))
    data = path.read_bytes()
    assert b"SECRET" not in data and b"sk-test" not in data and b"Bearer" not in data
    header, entries = read_cassette(path)
    assert header.provider == provider.identity
    assert len(entries) == 2


async def test_the_header_carries_format_version_provider_and_metadata(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    recorder = Recorder(EchoLLM(identity="echo:1"), path, meta={"config": "seed=0"})
    recorder.close()
    header, entries = read_cassette(path)
    assert (header.format, header.version, header.provider) == ("rafa-cassette", 1, "echo:1")
    assert header.meta == {"config": "seed=0"}
    assert header.created
    assert entries == []
    assert Replayer(path).provider == "echo:1"


def test_an_existing_cassette_is_not_overwritten_by_accident(tmp_path: Path) -> None:
    path = tmp_path / "run.cassette"
    path.write_text("precious")
    with pytest.raises(ConfigError, match=rf"cassette {path} already exists"):
        Recorder(EchoLLM(), path)
    assert path.read_text() == "precious"
    Recorder(EchoLLM(), path, overwrite=True).close()


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", "is empty"),
        (b"not json\n", "line 1 is not a cassette header"),
        (b'{"format": "rafa-cassette", "version": 99}\n', "version 99; this version replays"),
        (b'{"format": "rafa-cassette", "version": 1}\n{"key": 5}\n', "line 2: "),
    ],
    ids=["empty", "garbage", "version", "bad-entry"],
)
def test_a_bad_cassette_is_a_clear_error_naming_the_file(
    tmp_path: Path, content: bytes, error: str
) -> None:
    path = tmp_path / "run.cassette"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=rf"cassette {path}.*{error}"):
        Replayer(path)


def test_a_missing_cassette_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read cassette .*missing\.cassette"):
        Replayer(tmp_path / "missing.cassette")


async def test_stack_replays_what_it_recorded_without_calling_the_provider(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    requests = [ask("a"), ask("b"), ask("a")]
    async with MiddlewareStack(EchoLLM(), record=path, cache=":memory:") as stack:
        recorded = [await stack.complete(r) for r in requests]
    assert stack.cache is not None and stack.cache.hits == 1  # recorded all the same
    provider = EchoLLM()
    async with MiddlewareStack(provider, replay=path, rpm=1) as replay:
        assert [await replay.complete(r) for r in requests] == recorded
    assert provider.calls == 0
    assert anyio.current_time() == 0.0  # no rate limit offline
    assert (replay.totals.completed, replay.totals.cached) == (3, 3)
    assert isinstance(replay.cassette, Replayer)


def test_record_and_replay_exclude_each_other(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="exclude each other"):
        MiddlewareStack(EchoLLM(), record=tmp_path / "a", replay=tmp_path / "b")


# -- a whole game ---------------------------------------------------------------------------


GAME = BenchmarkConfig(tasks="901-901", agent="rafa", n_generate=4, n_evaluate=2)


def noisy_sim() -> SimLLM:
    return SimLLM(
        {"game24": Game24Oracle()}, seed=3, noise=NoiseModel(), latency=LatencyModel.fixed(1.0)
    )


class Rephrased:
    """Passes requests on with one word of the prompt changed."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    async def complete(self, request: ChatRequest) -> ChatResponse:
        first, *rest = request.messages
        changed = Message(first.role, first.content.replace("24", "twenty-four", 1))
        return await self.inner.complete(
            msgspec.structs.replace(request, messages=(changed, *rest))
        )


def without_wall_time(records: list[Game24Record]) -> list[Game24Record]:
    return [msgspec.structs.replace(r, wall_s=0.0) for r in records]


async def test_a_recorded_game_replays_to_the_identical_result(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "game24.cassette"
    recorder = Recorder(noisy_sim(), path)
    recorded, summary = await run_benchmark(GAME, llm=recorder)
    recorder.close()
    assert recorder.recorded == summary.llm_calls > 10
    replayer = Replayer(path)
    replayed, replay_summary = await run_benchmark(GAME, llm=replayer)
    assert without_wall_time(replayed) == without_wall_time(recorded)
    no_wall = msgspec.structs.replace(summary, wall_s=0.0)
    assert msgspec.structs.replace(replay_summary, wall_s=0.0) == no_wall
    assert replayer.replayed == recorder.recorded
    timed, _ = await run_benchmark(GAME, llm=Replayer(path, latency="recorded"))
    assert timed == recorded  # wall time too


async def record_game(path: Path) -> None:
    recorder = Recorder(noisy_sim(), path)
    await run_benchmark(GAME, llm=recorder)
    recorder.close()


async def test_a_changed_prompt_fails_the_replay_with_the_clear_error(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "game24.cassette"
    await record_game(path)
    # Concurrent episodes may each fail before the run is cancelled: the run
    # raises the first of them, as itself (not inside an ExceptionGroup).
    with pytest.raises(CassetteMismatch) as info:
        await run_benchmark(GAME, llm=Rephrased(Replayer(path)))
    message = str(info.value)
    assert "of this replay)" in message
    assert "it was never recorded" in message
    assert "intent: propose game24" in message
    assert "nearest recorded request differs in messages[0].content at character" in message
    assert "twenty-four" in message


async def test_answers_put_back_by_cancelled_calls_keep_the_recorded_order(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "run.cassette"
    await record(path, Numbered(latency=2.0), [ask()] * 3)
    replayer = Replayer(path, latency="recorded")
    with anyio.move_on_after(1.0):
        async with anyio.create_task_group() as tg:
            tg.start_soon(replayer.complete, ask())
            tg.start_soon(replayer.complete, ask())
    answers = [(await replayer.complete(ask())).text for _ in range(3)]
    assert answers == ["answer 1", "answer 2", "answer 3"]


async def test_a_game_replayed_from_a_cut_cassette_stops_saying_it_was_cut(
    anyio_backend: Any, tmp_path: Path
) -> None:
    path = tmp_path / "game24.cassette"
    await record_game(path)
    data = path.read_bytes()
    half = len(data) // 2
    path.write_bytes(data[: data.index(b"\n", half) + 40])  # a line cut 40 bytes in
    with pytest.raises(CassetteMismatch, match="the cassette was cut short at line"):
        await run_benchmark(GAME, llm=Replayer(path))
