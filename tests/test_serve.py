"""``rafa sim-serve``'s app: the simulated LLM as an OpenAI-compatible HTTP API.

aiohttp.web runs on asyncio only, so these tests do too; each runs the app in
the test's own loop (aiohttp's TestServer/TestClient on 127.0.0.1) under the
virtual clock, so simulated latency, hangs and timeouts cost no real time.
"""

from __future__ import annotations

import errno
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import anyio
import msgspec
import pytest
from aiohttp.test_utils import TestClient, TestServer

from rafa_async.app.sim_server import SIMULATED_HEADER, make_app, running_sim_server
from rafa_async.llm import (
    SIM_LABEL,
    ChatRequest,
    FaultModel,
    Intent,
    LatencyModel,
    Message,
    SimLLM,
)
from rafa_async.scenarios import simulated_llm

pytestmark = pytest.mark.anyio

PROPOSE = Intent(kind="propose", scenario="game24", state="4 9 10 13")
INTENTS = [
    PROPOSE,
    Intent(kind="evaluate", scenario="game24", state="4 9 10 13", sample=2),
    Intent(kind="solve", scenario="game24", state="1 2 3 4", memory=("4 * 6 = 24",)),
    Intent(kind="propose", scenario="tictactoe", state="X../.O./..."),
    Intent(
        kind="propose",
        scenario="ipd",
        state="ipd n=2 rounds=20 payoffs=5,3,1,0 history=CC/CD",
        detail="p1",
    ),
]
MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Propose."}]
NO_LATENCY = LatencyModel(scale=0.0)


@pytest.fixture
def anyio_backend(anyio_backend: tuple[str, dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    if anyio_backend[0] == "trio":
        pytest.skip("aiohttp.web (the sim server) runs on asyncio only")
    return anyio_backend


@asynccontextmanager
async def sim_client(sim: SimLLM | None = None, **app_options: Any) -> AsyncIterator[TestClient]:
    app = make_app(sim or simulated_llm(latency=NO_LATENCY), **app_options)
    async with TestClient(TestServer(app)) as client:
        yield client


def body(intent: Intent | None = None, **fields: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {"model": "sim", "messages": MESSAGES, **fields}
    if intent is not None:
        payload["rafa_intent"] = msgspec.to_builtins(intent)
    return payload


def in_process(sim: SimLLM, intent: Intent | None) -> ChatRequest:
    """The ChatRequest the server builds for ``body(intent)``."""
    messages = tuple(Message(m["role"], m["content"]) for m in MESSAGES)  # type: ignore[arg-type]
    return ChatRequest(messages=messages, model="sim", intent=intent)


def sse_events(raw: bytes) -> list[str]:
    """The data fields of a server-sent event stream, in order."""
    events = [e for e in raw.decode().split("\n\n") if e.strip()]
    assert all(e.startswith("data: ") for e in events), events
    return [e.removeprefix("data: ") for e in events]


async def post(client: TestClient, payload: Any) -> aiohttp.ClientResponse:
    return await client.post("/v1/chat/completions", json=payload)


async def test_models_lists_the_served_model_names() -> None:
    async with sim_client(models=["sim", "gpt-4o-mini"]) as client:
        response = await client.get("/v1/models")
        listing = await response.json()

    assert response.status == 200
    assert response.headers[SIMULATED_HEADER] == "true"
    assert listing["object"] == "list"
    assert [m["id"] for m in listing["data"]] == ["sim", "gpt-4o-mini"]
    assert all(m["object"] == "model" for m in listing["data"])
    assert listing["rafa_simulated"] is True


async def test_one_model_is_found_and_an_unknown_one_is_a_404() -> None:
    async with sim_client() as client:
        found = await client.get("/v1/models/sim")
        missing = await client.get("/v1/models/gpt-5")
        model, error = await found.json(), await missing.json()

    assert (found.status, model["id"], model["object"]) == (200, "sim", "model")
    assert missing.status == 404
    assert error["error"]["code"] == "model_not_found"
    assert "gpt-5" in error["error"]["message"]


async def test_a_completion_has_the_openai_shape() -> None:
    async with sim_client() as client:
        response = await post(client, body(PROPOSE))
        completion = await response.json()

    assert response.status == 200
    assert response.content_type == "application/json"
    assert response.headers[SIMULATED_HEADER] == "true"
    assert completion["id"].startswith("chatcmpl-")
    assert completion["object"] == "chat.completion"
    assert isinstance(completion["created"], int)
    assert completion["model"] == "sim"
    assert completion["rafa_simulated"] is True
    [choice] = completion["choices"]
    assert choice["index"] == 0
    assert choice["message"]["role"] == "assistant"
    assert choice["message"]["content"]
    assert choice["finish_reason"] == "stop"
    usage = completion["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


@pytest.mark.parametrize("seed", [0, 7])
async def test_served_answers_equal_the_in_process_sims_for_the_same_seed(seed: int) -> None:
    served_sim, local_sim = simulated_llm(seed=seed), simulated_llm(seed=seed)

    async with sim_client(served_sim) as client:
        # Reversed order: the sim seeds by content, never by arrival order.
        completions = [await (await post(client, body(i))).json() for i in reversed(INTENTS)]

    for intent, completion in zip(reversed(INTENTS), completions, strict=True):
        expected, _ = local_sim.respond(in_process(local_sim, intent))
        assert completion["choices"][0]["message"]["content"] == expected.text
        assert completion["usage"]["prompt_tokens"] == expected.usage.prompt_tokens
        assert completion["usage"]["completion_tokens"] == expected.usage.completion_tokens


async def test_a_request_without_an_intent_gets_a_sim_labelled_reply() -> None:
    async with sim_client() as client:
        response = await post(client, body(messages=[{"role": "user", "content": "Hi there"}]))
        completion = await response.json()

    assert response.status == 200
    text = completion["choices"][0]["message"]["content"]
    assert SIM_LABEL in text
    assert "cannot answer free-form prompts" in text
    assert "rafa_intent" in text


async def test_text_content_parts_and_the_developer_role_are_read() -> None:
    parts = [{"type": "text", "text": "Pro"}, {"type": "text", "text": "pose."}]
    messages = [{"role": "developer", "content": "Be brief."}, {"role": "user", "content": parts}]
    sim = simulated_llm()

    async with sim_client(sim) as client:
        completion = await (await post(client, body(PROPOSE, messages=messages))).json()

    expected, _ = sim.respond(in_process(sim, PROPOSE))
    assert completion["usage"]["prompt_tokens"] == expected.usage.prompt_tokens


async def test_a_stream_is_chunks_then_done_and_joins_to_the_same_text() -> None:
    sim = simulated_llm(latency=NO_LATENCY)
    async with sim_client(sim) as client:
        response = await post(client, body(PROPOSE, stream=True))
        raw = await response.read()

    assert response.status == 200
    assert response.content_type == "text/event-stream"
    assert response.headers[SIMULATED_HEADER] == "true"
    *data, done = sse_events(raw)
    assert done == "[DONE]"
    chunks = [json.loads(d) for d in data]
    assert len({c["id"] for c in chunks}) == 1
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert all(c["rafa_simulated"] is True and "usage" not in c for c in chunks)
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"] == [
        {"index": 0, "delta": {}, "logprobs": None, "finish_reason": "stop"}
    ]
    contents = [c["choices"][0]["delta"]["content"] for c in chunks[1:-1]]
    assert len(contents) > 1
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    expected, _ = sim.respond(in_process(sim, PROPOSE))
    assert "".join(contents) == expected.text


async def test_a_stream_with_include_usage_ends_with_a_usage_chunk() -> None:
    sim = simulated_llm(latency=NO_LATENCY)
    payload = body(PROPOSE, stream=True, stream_options={"include_usage": True})
    async with sim_client(sim) as client:
        raw = await (await post(client, payload)).read()

    *data, done = sse_events(raw)
    chunks = [json.loads(d) for d in data]
    assert done == "[DONE]"
    assert all(c["usage"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"] == []
    expected, _ = sim.respond(in_process(sim, PROPOSE))
    assert chunks[-1]["usage"] == {
        "prompt_tokens": expected.usage.prompt_tokens,
        "completion_tokens": expected.usage.completion_tokens,
        "total_tokens": expected.usage.total_tokens,
    }


async def test_a_completion_takes_the_sims_latency() -> None:
    sim = simulated_llm(latency=LatencyModel(ttft=2.0, tokens_per_s=10.0, jitter=0.0))
    async with sim_client(sim) as client:
        start = anyio.current_time()
        completion = await (await post(client, body(PROPOSE))).json()
        elapsed = anyio.current_time() - start

    tokens = completion["usage"]["completion_tokens"]
    assert elapsed == pytest.approx(2.0 + tokens / 10.0, abs=0.01)


async def test_a_stream_sends_its_first_token_after_the_time_to_first_token() -> None:
    sim = simulated_llm(latency=LatencyModel(ttft=2.0, tokens_per_s=10.0, jitter=0.0))
    payload = body(PROPOSE, stream=True, stream_options={"include_usage": True})
    async with sim_client(sim) as client:
        start = anyio.current_time()
        response = await post(client, payload)
        headers_at = anyio.current_time() - start
        arrivals: list[tuple[float, bytes]] = []
        async for line in response.content:
            if line.startswith(b"data: "):
                arrivals.append((anyio.current_time() - start, line))

    usage = json.loads(arrivals[-2][1].removeprefix(b"data: "))["usage"]
    total = 2.0 + usage["completion_tokens"] / 10.0
    assert headers_at == pytest.approx(0.0, abs=0.01)
    assert arrivals[0][0] == pytest.approx(2.0, abs=0.01)  # the role chunk
    assert arrivals[1][0] == pytest.approx(2.0, abs=0.01)  # the first piece of text
    assert arrivals[2][0] > 2.05  # the rest is spread over the remaining time
    assert arrivals[-1][0] == pytest.approx(total, abs=0.01)


BAD_REQUESTS = [
    pytest.param(b"{not json", 400, "invalid_json", None, id="malformed-json"),
    pytest.param(b'{"model": "sim"}', 400, "invalid_value", None, id="missing-messages"),
    pytest.param(
        {"model": "sim", "messages": []}, 400, "invalid_value", "messages", id="empty-messages"
    ),
    pytest.param(
        body(rafa_intent={"kind": "guess", "scenario": "game24", "state": "1 2 3 4"}),
        400,
        "invalid_value",
        "rafa_intent.kind",
        id="bad-intent-kind",
    ),
    pytest.param(
        body(rafa_intent={"kind": "propose", "scenario": "game24"}),
        400,
        "invalid_value",
        "rafa_intent",
        id="intent-missing-state",
    ),
    pytest.param(
        body(Intent(kind="propose", scenario="chess", state="e4")),
        400,
        None,
        "rafa_intent",
        id="unknown-scenario",
    ),
    pytest.param(
        body(Intent(kind="propose", scenario="game24", state="four nine")),
        400,
        None,
        "rafa_intent.state",
        id="unreadable-state",
    ),
    pytest.param(
        body(messages=[{"role": "tool", "content": "42"}]),
        400,
        None,
        "messages[0].role",
        id="unsupported-role",
    ),
    pytest.param(
        body(messages=[{"role": "user", "content": [{"type": "image_url"}]}]),
        400,
        None,
        "messages[0].content[0]",
        id="image-part",
    ),
    pytest.param(body(n=3), 400, None, "n", id="several-choices"),
    pytest.param(body(model="gpt-4o"), 404, "model_not_found", "model", id="unknown-model"),
]


@pytest.mark.parametrize(("payload", "status", "code", "param"), BAD_REQUESTS)
async def test_a_bad_request_gets_an_openai_error_naming_what_is_wrong(
    payload: Any, status: int, code: str | None, param: str | None
) -> None:
    async with sim_client() as client:
        if isinstance(payload, bytes):
            response = await client.post("/v1/chat/completions", data=payload)
        else:
            response = await post(client, payload)
        text = await response.text()

    assert response.status == status
    assert response.content_type == "application/json"
    assert response.headers[SIMULATED_HEADER] == "true"
    assert "Traceback" not in text
    answer = json.loads(text)
    assert answer["rafa_simulated"] is True
    error = answer["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["code"] == code
    assert error["param"] == param
    if param is not None:
        assert param.split("[")[0] in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/v1/completions", 404, "unknown_url"),
        ("POST", "/v2/chat/completions", 404, "unknown_url"),
        ("GET", "/v1/chat/completions", 405, "method_not_allowed"),
    ],
)
async def test_an_unknown_path_or_method_gets_an_openai_error(
    method: str, path: str, status: int, code: str
) -> None:
    async with sim_client() as client:
        response = await client.request(method, path)
        error = (await response.json())["error"]

    assert response.status == status
    assert error["code"] == code
    assert path in error["message"]


async def test_an_unexpected_failure_is_a_500_error_without_a_traceback() -> None:
    sim = simulated_llm(latency=NO_LATENCY)

    async def broken(request: ChatRequest) -> int | None:
        raise RuntimeError("bug in the sim")

    sim.inject_faults = broken  # type: ignore[method-assign]
    async with sim_client(sim) as client:
        response = await post(client, body(PROPOSE))
        text = await response.text()

    assert response.status == 500
    assert "Traceback" not in text and "bug in the sim" not in text
    assert json.loads(text)["error"]["type"] == "server_error"


async def test_the_fault_model_answers_429_with_retry_after() -> None:
    sim = simulated_llm(latency=NO_LATENCY, faults=FaultModel(rate_limit_rate=1.0, retry_after=2.5))
    async with sim_client(sim) as client:
        response = await post(client, body(PROPOSE))
        error = (await response.json())["error"]

    assert response.status == 429
    assert response.headers["Retry-After"] == "3"
    assert response.headers["retry-after-ms"] == "2500"
    assert response.headers[SIMULATED_HEADER] == "true"
    assert (error["type"], error["code"]) == ("requests", "rate_limit_exceeded")
    assert "a simulated fault (rate_limit_rate)" in error["message"]


async def test_the_fault_model_answers_500() -> None:
    sim = simulated_llm(latency=NO_LATENCY, faults=FaultModel(server_error_rate=1.0))
    async with sim_client(sim) as client:
        response = await post(client, body(PROPOSE, stream=True))
        error = (await response.json())["error"]

    assert response.status == 500
    assert error["type"] == "server_error"
    assert "a simulated fault (server_error_rate)" in error["message"]


async def test_faults_are_drawn_per_attempt_so_a_retry_can_succeed() -> None:
    sim = simulated_llm(latency=NO_LATENCY, faults=FaultModel(rate_limit_rate=0.5))
    async with sim_client(sim) as client:
        statuses = [(await post(client, body(PROPOSE))).status for _ in range(12)]

    assert set(statuses) == {200, 429}


async def test_a_hanging_fault_makes_the_client_time_out() -> None:
    sim = simulated_llm(latency=NO_LATENCY, faults=FaultModel(hang_rate=1.0, hang_seconds=600))
    async with sim_client(sim) as client:
        start = anyio.current_time()
        with pytest.raises(TimeoutError):
            await client.post(
                "/v1/chat/completions", json=body(PROPOSE), timeout=aiohttp.ClientTimeout(total=30)
            )
        assert anyio.current_time() - start == pytest.approx(30, abs=0.1)


async def test_a_client_leaving_mid_stream_does_not_disturb_the_server() -> None:
    sim = simulated_llm(latency=LatencyModel(ttft=1.0, tokens_per_s=5.0, jitter=0.0))
    async with sim_client(sim) as client:
        response = await post(client, body(PROPOSE, stream=True))
        first = await response.content.readline()
        response.close()
        again = await post(client, body(PROPOSE))
        completion = await again.json()

    assert first.startswith(b"data: ")
    assert again.status == 200
    assert completion["choices"][0]["message"]["content"]


async def test_running_sim_server_listens_on_a_free_port_and_stops_on_exit() -> None:
    sim = simulated_llm(latency=NO_LATENCY)
    async with aiohttp.ClientSession() as session:
        async with running_sim_server(sim, host="127.0.0.1", port=0) as server:
            assert server.port > 0
            assert server.base_url == f"http://127.0.0.1:{server.port}/v1"
            async with session.get(f"{server.base_url}/models") as response:
                listing = await response.json()
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(f"{server.base_url}/models")

    assert [m["id"] for m in listing["data"]] == ["sim"]


async def test_running_sim_server_on_a_busy_port_raises_address_in_use(busy_port: int) -> None:
    with pytest.raises(OSError) as caught:
        async with running_sim_server(simulated_llm(), port=busy_port):
            pass  # pragma: no cover

    assert caught.value.errno == errno.EADDRINUSE
