"""``rafa sim-serve``: the simulated LLM behind an OpenAI-compatible HTTP API.

Routes: ``POST /v1/chat/completions`` (JSON, or server-sent events with
``"stream": true``), ``GET /v1/models`` and ``GET /v1/models/{model}``.  The
response shapes are OpenAI's, so the official SDK and our own adapter parse
them; every response also carries ``"rafa_simulated": true`` and the header
``x-rafa-simulated: true``, so nobody mistakes it for a real model.

A request's structured intent travels in the extra body field ``rafa_intent``
(the msgspec encoding of :class:`~rafa_async.llm.Intent`).  With it, the
answer is exactly what :class:`~rafa_async.llm.SimLLM` gives in process for
the same seed, since the sim seeds each answer by the request's content, never
by arrival order.  Without it, the reply is a valid completion saying that the
simulator cannot answer free-form prompts.

The sim's latency model runs on the server (a stream sends its first chunk
after the time to first token, the rest spread over the remaining time), and
so does its fault model: 429 with ``Retry-After``, 500, or a hang.  Every
error is OpenAI's error JSON (``{"error": {"message", "type", "param",
"code"}}``), never a traceback.

aiohttp.web runs on asyncio only, so this module does too.  It is part of
the application layer, not of :mod:`rafa_async.llm`: it serves the sim to
other programs, as ``rafa sim-serve`` does, and importing the LLM layer does
not import aiohttp's server.
"""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Literal

import anyio
import anyio.lowlevel
import msgspec
import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from rafa_async._errors import ProviderError, RafaError, RateLimited
from rafa_async._validation import split_validation_error
from rafa_async.llm import ChatRequest, ChatResponse, Intent, Message, Role, SimLLM

_log = structlog.get_logger("rafa_async.app.sim_server")

__all__ = ["SIMULATED_HEADER", "SimServer", "make_app", "running_sim_server", "serve"]

SIMULATED_HEADER = "x-rafa-simulated"
_INTENT_HINT = (
    "rafa_intent is the JSON encoding of rafa_async.llm.Intent: "
    '{"kind": "propose" | "evaluate" | "predict" | "solve" | "reflect", "scenario": str, '
    '"state": str, "memory": [str], "sample": int, "detail": str}'
)
_ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
}


# -- request body ------------------------------------------------------------


class _ContentPart(msgspec.Struct, kw_only=True):
    type: str
    text: str | None = None


class _WireMessage(msgspec.Struct, kw_only=True):
    role: str
    content: str | list[_ContentPart] | None = None


class _StreamOptions(msgspec.Struct, kw_only=True):
    include_usage: bool = False


class _CompletionBody(msgspec.Struct, kw_only=True):
    """The fields of an OpenAI chat-completions body that the sim reads;
    other fields (tools, top_p, user, ...) are accepted and ignored."""

    model: str
    messages: Annotated[list[_WireMessage], msgspec.Meta(min_length=1)]
    stream: bool = False
    stream_options: _StreamOptions | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    max_completion_tokens: int | None = None
    n: int = 1
    rafa_intent: Intent | None = None


# -- response bodies -----------------------------------------------------------


class _Usage(msgspec.Struct, kw_only=True):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class _AssistantMessage(msgspec.Struct, kw_only=True):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class _Choice(msgspec.Struct, kw_only=True):
    index: int = 0
    message: _AssistantMessage
    logprobs: None = None
    finish_reason: str


class _Completion(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[_Choice]
    usage: _Usage
    system_fingerprint: None = None
    rafa_simulated: bool = True


class _Delta(msgspec.Struct, kw_only=True, omit_defaults=True):
    role: Literal["assistant"] | None = None
    content: str | None = None


class _ChunkChoice(msgspec.Struct, kw_only=True):
    index: int = 0
    delta: _Delta
    logprobs: None = None
    finish_reason: str | None = None


class _Chunk(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[_ChunkChoice]
    system_fingerprint: None = None
    # With stream_options.include_usage every chunk has "usage": null but the
    # last; without it, no chunk has the key (UNSET is left out).
    usage: _Usage | msgspec.UnsetType | None = msgspec.UNSET
    rafa_simulated: bool = True


class _Model(msgspec.Struct, kw_only=True):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "rafa-async"
    rafa_simulated: bool = True


class _ModelList(msgspec.Struct, kw_only=True):
    object: Literal["list"] = "list"
    data: list[_Model]
    rafa_simulated: bool = True


class _ErrorDetail(msgspec.Struct, kw_only=True):
    message: str
    type: str
    param: str | None = None
    code: str | None = None


class _ErrorBody(msgspec.Struct, kw_only=True):
    error: _ErrorDetail
    rafa_simulated: bool = True


class _ApiError(Exception):
    """Ends a request with an OpenAI-style error response."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.detail = _ErrorDetail(message=message, type=type, param=param, code=code)
        self.headers = headers or {}


_ENCODER = msgspec.json.Encoder()
_BODY = msgspec.json.Decoder(_CompletionBody)
_JSON = "application/json"
# A token is about four characters; a stream sends about one word a chunk.
_PIECE = re.compile(r"\S*\s*")


def _json_response(body: msgspec.Struct, status: int = 200, **headers: str) -> web.Response:
    return web.Response(
        body=_ENCODER.encode(body), status=status, headers=headers, content_type=_JSON
    )


def _error_response(error: _ApiError) -> web.Response:
    return _json_response(_ErrorBody(error=error.detail), error.status, **error.headers)


def _decode_body(raw: bytes) -> _CompletionBody:
    try:
        return _BODY.decode(raw)
    except msgspec.ValidationError as error:
        what, param = split_validation_error(error)
        message = f"{param}: {what}" if param else what
        if param is not None and param.startswith("rafa_intent"):
            message += f" ({_INTENT_HINT})"
        raise _ApiError(400, message, code="invalid_value", param=param) from None
    except msgspec.DecodeError as error:
        raise _ApiError(
            400,
            f"the request body is not valid JSON ({error}); send a JSON chat-completions body",
            code="invalid_json",
        ) from None


def _message_text(index: int, message: _WireMessage) -> str:
    content = message.content
    if content is None or isinstance(content, str):
        return content or ""
    texts = []
    for j, part in enumerate(content):
        if part.type != "text" or part.text is None:
            raise _ApiError(
                400,
                f"messages[{index}].content[{j}]: the simulated LLM reads text parts only "
                f"(type 'text' with 'text'), got type {part.type!r}",
                param=f"messages[{index}].content[{j}]",
            )
        texts.append(part.text)
    return "".join(texts)


def _chat_request(body: _CompletionBody) -> ChatRequest:
    if body.n != 1:
        raise _ApiError(
            400, f"n: the simulated LLM gives one choice a request, got n={body.n}", param="n"
        )
    messages = []
    for i, message in enumerate(body.messages):
        role = _ROLES.get(message.role)
        if role is None:
            known = ", ".join(_ROLES)
            raise _ApiError(
                400,
                f"messages[{i}].role: unsupported role {message.role!r} (the sim reads {known})",
                param=f"messages[{i}].role",
            )
        messages.append(Message(role, _message_text(i, message)))
    return ChatRequest(
        messages=tuple(messages),
        model=body.model,
        temperature=0.7 if body.temperature is None else body.temperature,
        max_tokens=body.max_completion_tokens if body.max_tokens is None else body.max_tokens,
        intent=body.rafa_intent,
    )


def _wire_usage(response: ChatResponse) -> _Usage:
    usage = response.usage
    return _Usage(
        prompt_tokens=usage.prompt_tokens,
        completion_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )


def _pieces(text: str) -> list[str]:
    """``text`` in stream-sized pieces that join back to exactly ``text``."""
    return [piece for piece in _PIECE.findall(text) if piece] or [""]


class _SimService:
    """The request handlers, bound to one :class:`SimLLM` and its model names."""

    def __init__(self, sim: SimLLM, models: Sequence[str]) -> None:
        self.sim = sim
        self.models = tuple(dict.fromkeys(models))

    def _check_model(self, model: str) -> None:
        if model not in self.models:
            raise _ApiError(
                404,
                f"The model {model!r} does not exist on this rafa-async sim server "
                f"(it serves: {', '.join(self.models)})",
                code="model_not_found",
                param="model",
            )

    async def list_models(self, request: web.Request) -> web.Response:
        return _json_response(_ModelList(data=[_Model(id=name) for name in self.models]))

    async def get_model(self, request: web.Request) -> web.Response:
        name = request.match_info["model"]
        self._check_model(name)
        return _json_response(_Model(id=name))

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        """Answer one chat completion.  Validation and the fault draw come
        first, so an error is always a complete JSON response; a hang or the
        latency sleep ends early only if the server cancels the handler."""
        body = _decode_body(await request.read())
        self._check_model(body.model)
        chat = _chat_request(body)
        key = await self._inject_faults(chat)
        response, delay = self._respond(chat, key)
        completion_id = f"chatcmpl-sim{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        _log.debug(
            "sim_served", intent=chat.label, model=body.model, stream=body.stream, delay=delay
        )
        if body.stream:
            include_usage = body.stream_options is not None and body.stream_options.include_usage
            stream = _ChunkStream(completion_id, created, body.model, include_usage)
            return await stream.send(request, response, delay, self.sim)
        await _sleep(delay)
        completion = _Completion(
            id=completion_id,
            created=created,
            model=body.model,
            choices=[
                _Choice(
                    message=_AssistantMessage(content=response.text),
                    finish_reason=response.finish_reason,
                )
            ],
            usage=_wire_usage(response),
        )
        return _json_response(completion)

    async def _inject_faults(self, chat: ChatRequest) -> int | None:
        try:
            return await self.sim.inject_faults(chat)
        except RateLimited as error:
            retry_after = error.retry_after if error.retry_after is not None else 1.0
            raise _ApiError(
                429,
                f"{error} -- a simulated fault (rate_limit_rate); retry after {retry_after:g}s",
                type="requests",
                code="rate_limit_exceeded",
                headers={
                    "Retry-After": str(max(0, math.ceil(retry_after))),
                    "retry-after-ms": str(round(retry_after * 1000)),
                },
            ) from None
        except ProviderError as error:
            raise _ApiError(
                error.status or 500,
                f"{error} -- a simulated fault (server_error_rate)",
                type="server_error",
                code="internal_error",
            ) from None

    def _respond(self, chat: ChatRequest, key: int | None) -> tuple[ChatResponse, float]:
        try:
            return self.sim.respond(chat, key)
        except RafaError as error:
            raise _ApiError(400, f"rafa_intent: {error}", param="rafa_intent") from None
        except Exception as error:
            # The oracle could not read the intent's state: bad input, not a crash.
            scenario = chat.intent.scenario if chat.intent is not None else "?"
            _log.info("sim_intent_rejected", scenario=scenario, error=repr(error))
            raise _ApiError(
                400,
                f"rafa_intent: the {scenario} oracle could not answer this intent "
                f"({type(error).__name__}: {error}); check rafa_intent.state",
                param="rafa_intent.state",
            ) from None


class _ChunkStream:
    """One streamed completion: chunks as server-sent events, then ``[DONE]``."""

    def __init__(self, completion_id: str, created: int, model: str, include_usage: bool) -> None:
        self.completion_id = completion_id
        self.created = created
        self.model = model
        self.include_usage = include_usage

    def _event(self, choices: list[_ChunkChoice], usage: _Usage | None = None) -> bytes:
        chunk = _Chunk(
            id=self.completion_id,
            created=self.created,
            model=self.model,
            choices=choices,
            usage=usage if self.include_usage else msgspec.UNSET,
        )
        return b"data: " + _ENCODER.encode(chunk) + b"\n\n"

    async def send(
        self, request: web.Request, response: ChatResponse, delay: float, sim: SimLLM
    ) -> web.StreamResponse:
        """Headers at once; the first token after the time to first token;
        the other pieces evenly over the rest of ``delay``.  A client that
        hangs up ends the stream quietly."""
        stream = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await stream.prepare(request)
        pieces = _pieces(response.text)
        first = delay * sim.latency.first_token_share(response.usage.completion_tokens)
        gap = (delay - first) / max(1, len(pieces) - 1)
        try:
            await _sleep(first)
            opening = _Delta(role="assistant", content="")
            await stream.write(self._event([_ChunkChoice(delta=opening)]))
            for i, piece in enumerate(pieces):
                if i:
                    await _sleep(gap)
                await stream.write(self._event([_ChunkChoice(delta=_Delta(content=piece))]))
            if len(pieces) == 1:
                await _sleep(gap)
            finish = _ChunkChoice(delta=_Delta(), finish_reason=response.finish_reason)
            await stream.write(self._event([finish]))
            if self.include_usage:
                await stream.write(self._event([], _wire_usage(response)))
            await stream.write(b"data: [DONE]\n\n")
            await stream.write_eof()
        except ConnectionResetError:
            _log.debug("sim_stream_abandoned", id=self.completion_id)
        return stream


async def _sleep(seconds: float) -> None:
    if seconds > 0.0:
        await anyio.sleep(seconds)
    else:
        await anyio.lowlevel.checkpoint()


def _http_error(request: web.Request, error: web.HTTPException) -> _ApiError:
    if error.status == 404:
        return _ApiError(
            404,
            f"Unknown request URL: {request.method} {request.path} (the rafa-async sim serves "
            "POST /v1/chat/completions, GET /v1/models)",
            code="unknown_url",
        )
    if error.status == 405:
        return _ApiError(
            405, f"{request.method} is not allowed on {request.path}", code="method_not_allowed"
        )
    return _ApiError(error.status, f"{error.reason}: {request.method} {request.path}")


@web.middleware
async def _openai_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every failure as OpenAI's error JSON; an unexpected one is logged here
    and answered with a 500 that shows no traceback."""
    try:
        return await handler(request)
    except _ApiError as error:
        return _error_response(error)
    except web.HTTPException as error:
        return _error_response(_http_error(request, error))
    except Exception:
        _log.exception("sim_server_error", method=request.method, path=request.path)
        return _error_response(
            _ApiError(
                500,
                "the rafa-async sim server failed on this request (see its log)",
                type="server_error",
                code="internal_error",
            )
        )


async def _label_simulated(request: web.Request, response: web.StreamResponse) -> None:
    response.headers[SIMULATED_HEADER] = "true"


def make_app(sim: SimLLM, *, models: Sequence[str] = ()) -> web.Application:
    """The aiohttp application serving ``sim`` as an OpenAI-compatible API.

    ``models`` are the model names it answers to (default: ``sim.model``);
    a request for another model gets a 404, as from OpenAI.
    """
    service = _SimService(sim, models or (sim.model,))
    app = web.Application(middlewares=[_openai_errors])
    app.on_response_prepare.append(_label_simulated)
    app.router.add_post("/v1/chat/completions", service.chat_completions)
    app.router.add_get("/v1/models", service.list_models)
    app.router.add_get("/v1/models/{model}", service.get_model)
    return app


class SimServer(msgspec.Struct, frozen=True, kw_only=True):
    """Where a running sim server listens."""

    host: str
    port: int
    models: tuple[str, ...]

    @property
    def base_url(self) -> str:
        """What an OpenAI client takes as ``base_url``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"


@asynccontextmanager
async def running_sim_server(
    sim: SimLLM,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    models: Sequence[str] = (),
    shutdown_timeout: float = 5.0,
) -> AsyncIterator[SimServer]:
    """Serve ``sim`` on ``host:port`` (0 picks a free port) for the body of
    the ``async with``.

    Entering raises :class:`OSError` if the address cannot be bound (e.g. the
    port is in use).  Leaving stops accepting connections, gives requests in
    flight ``shutdown_timeout`` seconds, then cancels them; it is shielded, so
    it completes even when the surrounding scope is cancelled.  asyncio only.
    """
    models = tuple(models) or (sim.model,)
    runner = web.AppRunner(
        make_app(sim, models=models),
        access_log=None,
        handler_cancellation=True,
        shutdown_timeout=shutdown_timeout,
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        bound = _bound_port(runner)
        _log.info("sim_server_started", host=host, port=bound)
        yield SimServer(host=host, port=bound, models=models)
    finally:
        with anyio.CancelScope(shield=True):
            await runner.cleanup()
        _log.info("sim_server_stopped", host=host)


def _bound_port(runner: web.AppRunner) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    raise RuntimeError("the sim server is not listening on a TCP port")  # pragma: no cover


async def serve(
    sim: SimLLM, *, host: str = "127.0.0.1", port: int = 8000, models: Sequence[str] = ()
) -> None:
    """Serve ``sim`` until cancelled (then shut down gracefully).  asyncio only."""
    async with running_sim_server(sim, host=host, port=port, models=models):
        await anyio.sleep_forever()
