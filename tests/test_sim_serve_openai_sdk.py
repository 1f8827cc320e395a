"""``rafa sim-serve`` as a real process, spoken to by the official ``openai`` SDK.

The server runs as a subprocess (``rafa sim-serve --port 0``), which also tests
the command: its banner, its port, and its graceful stop on a signal.  The
tests are synchronous (the SDK's sync client), so no virtual clock is involved;
the sim runs with zero latency.  Loopback only, no key, no internet.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import threading
import time
from collections.abc import Iterator

import msgspec
import openai
import pytest
from support import Server, start_sim_serve, stop

from rafa_async.llm import SIM_LABEL, ChatRequest, Intent, Message
from rafa_async.scenarios import simulated_llm

pytestmark = pytest.mark.slow

PROPOSE = Intent(kind="propose", scenario="game24", state="4 9 10 13")
PROMPT = "Propose next steps for 4 9 10 13."


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = start_sim_serve("--latency-scale", "0", "--seed", "3")
    yield running
    status, rest = stop(running, signal.SIGTERM)
    assert status == 0, rest
    assert "stopped (SIGTERM)" in rest


@pytest.fixture
def client(server: Server) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0) as sdk:
        yield sdk


def in_process_text(intent: Intent, seed: int = 3) -> str:
    sim = simulated_llm(seed=seed)
    request = ChatRequest(messages=(Message("user", PROMPT),), model="sim", intent=intent)
    return sim.respond(request)[0].text


def test_the_banner_says_the_llm_is_simulated(server: Server) -> None:
    assert SIM_LABEL.encode() in server.banner
    assert b"seed 3" in server.banner


def test_the_sdk_lists_the_models(client: openai.OpenAI) -> None:
    assert [model.id for model in client.models.list()] == ["sim"]


def test_the_sdk_gets_a_sim_labelled_completion_without_an_intent(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="sim", messages=[{"role": "user", "content": "Hello?"}]
    )

    assert completion.object == "chat.completion"
    assert completion.model == "sim"
    [choice] = completion.choices
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    assert choice.message.content is not None and SIM_LABEL in choice.message.content
    assert completion.usage is not None and completion.usage.total_tokens > 0


def test_the_sdk_gets_the_in_process_answer_for_an_intent(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="sim",
        messages=[{"role": "user", "content": PROMPT}],
        extra_body={"rafa_intent": msgspec.to_builtins(PROPOSE)},
    )
    completion = raw.parse()

    assert raw.headers["x-rafa-simulated"] == "true"
    assert completion.choices[0].message.content == in_process_text(PROPOSE)
    assert completion.model_extra == {"rafa_simulated": True}


def test_the_sdk_streams_the_in_process_answer_with_usage(client: openai.OpenAI) -> None:
    intent = Intent(kind="evaluate", scenario="game24", state="4 9 10 13")
    with client.chat.completions.create(
        model="sim",
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        stream_options={"include_usage": True},
        extra_body={"rafa_intent": msgspec.to_builtins(intent)},
    ) as stream:
        chunks = list(stream)

    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == in_process_text(intent)
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_the_sdk_streams_without_an_intent(client: openai.OpenAI) -> None:
    with client.chat.completions.create(
        model="sim", messages=[{"role": "user", "content": "Hello?"}], stream=True
    ) as stream:
        text = "".join(c.choices[0].delta.content or "" for c in stream)

    assert SIM_LABEL in text


def test_the_sdk_raises_not_found_for_an_unknown_model(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "?"}])

    assert caught.value.code == "model_not_found"


def test_the_sdk_raises_bad_request_naming_a_bad_intent_field(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="sim",
            messages=[{"role": "user", "content": "?"}],
            extra_body={"rafa_intent": {"kind": "guess", "scenario": "game24", "state": "1"}},
        )

    assert caught.value.param == "rafa_intent.kind"
    assert "rafa_intent.kind" in caught.value.message


def test_sim_serve_stops_gracefully_on_ctrl_c() -> None:
    server = start_sim_serve("--latency-scale", "0")

    status, rest = stop(server, signal.SIGINT)

    assert status == 0
    assert "stopped (SIGINT)" in rest
    assert "Traceback" not in rest


def read_until(server: Server, marker: bytes, seconds: float = 20.0) -> bytes:
    """The server's output up to and including ``marker``."""
    assert server.process.stdout is not None
    seen = b""
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(server.process.stdout, selectors.EVENT_READ)
        while marker not in seen:
            remaining = deadline - time.monotonic()
            ready = remaining > 0 and selector.select(remaining)
            chunk = os.read(server.process.stdout.fileno(), 4096) if ready else b""
            if not chunk:
                server.process.kill()
                pytest.fail(f"no {marker!r} in: {seen.decode()}")
            seen += chunk
    return seen


def test_a_second_ctrl_c_stops_at_once_while_a_request_is_in_flight() -> None:
    # Latency x1000: the request sleeps for minutes, and the graceful shutdown
    # would wait for it (for seconds); the debug log says when it is in flight.
    server = start_sim_serve("--latency-scale", "1000", "--log-level", "debug")

    def ask() -> None:
        sdk = openai.OpenAI(base_url=server.base_url, api_key="sk", max_retries=0)
        with sdk, contextlib.suppress(openai.APIError):
            sdk.chat.completions.create(model="sim", messages=[{"role": "user", "content": PROMPT}])

    threading.Thread(target=ask, daemon=True).start()
    read_until(server, b"sim_served")
    server.process.send_signal(signal.SIGINT)
    read_until(server, b"Ctrl-C again to stop at once")
    sent = time.monotonic()
    status, rest = stop(server, signal.SIGINT)

    assert status == 130
    assert time.monotonic() - sent < 4.0  # not the graceful shutdown's 5 + 5 s
    assert rest.strip().splitlines()[-1] == "interrupted (SIGINT again)"
    assert "Traceback" not in rest
