"""The embedded simulated LLM (provider ``sim``).

It is a *simulator*, not a model: every response is marked ``simulated=True``
and every report that uses it says so.  It exists so that the framework, its
concurrency and its experiments run anywhere, offline and deterministically.

How it answers: each request carries a structured :class:`Intent`.  The sim
hands the intent to the scenario's :class:`Oracle` (an exact solver or
simulator) together with a :class:`SimContext` holding the noise model and a
random generator seeded by ``(seed, intent)`` -- never by arrival order, so the
same run gives the same answers however calls interleave, on trio and asyncio.
The oracle writes its answer in the text format the scenario's prompt asks a
real LLM for; the agent parses it with the same parsers it uses for real
models.

The knobs are few and named (:class:`NoiseModel`, :class:`LatencyModel`,
:class:`FaultModel`); their defaults are calibrated on the *baselines* only
(see ``benchmarks/calibrate_sim.py`` and the README).
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Mapping
from functools import lru_cache
from statistics import NormalDist
from typing import Protocol, TypeVar

import anyio
import anyio.lowlevel
import msgspec

from rafa_async._context import current_sampling_seed
from rafa_async._errors import ProviderError, RateLimited
from rafa_async.llm._types import (
    ChatRequest,
    ChatResponse,
    Intent,
    Usage,
    estimate_tokens,
    prompt_tokens,
)

_STANDARD_NORMAL = NormalDist()
T = TypeVar("T")


@lru_cache(maxsize=1 << 12)
def _intent_digest(intent: Intent) -> bytes:
    return hashlib.blake2b(msgspec.json.encode(intent), digest_size=8).digest()


def _request_unit(seed: int, intent: Intent, fact: str) -> float:
    """A pseudo-random number in [0, 1) for ``fact`` in one request (seed and
    intent): fresh per request, the same however often or in what order asked."""
    h = hashlib.blake2b(digest_size=8)
    h.update(f"{seed}\x00heed\x00".encode())
    h.update(_intent_digest(intent))
    h.update(fact.encode())
    return int.from_bytes(h.digest(), "big") / 2**64


# Persistent facts are looked up again and again (every proposal from a state
# weighs all its actions), so their hashes are memoised.
@lru_cache(maxsize=1 << 18)
def _persistent_unit(seed: int, tag: str, fact: str) -> float:
    h = hashlib.blake2b(f"{seed}\x00{tag}\x00{fact}".encode(), digest_size=8)
    return int.from_bytes(h.digest(), "big") / 2**64


@lru_cache(maxsize=1 << 18)
def _preference(seed: int, sharpness: float, action: str) -> float:
    u = min(max(_persistent_unit(seed, "pref", action), 1e-12), 1 - 1e-12)
    return math.exp(sharpness * _STANDARD_NORMAL.inv_cdf(u))


SIM_LABEL = "SIMULATED LLM (rafa-async sim provider; not a real model)"


class NoiseModel(msgspec.Struct, frozen=True, kw_only=True):
    """How the sim's knowledge is corrupted.

    proposal_quality:
        Probability that a proposed action is drawn from the actions the model
        *believes* are good (else from all legal actions).
    preference_sharpness:
        Spread (log-scale std-dev) of the model's persistent per-action
        preferences.  Real samples at temperature 0.7 are correlated: a model
        keeps proposing its favourites.  0 makes samples independent.
    wrong_belief_rate:
        Probability that the model's prior belief about a fact (e.g. "these
        numbers can reach 24") is wrong.  Persistent per fact and seed; the
        observed truth in the prompt's memory overrides it (the posterior).
    value_noise:
        Probability that one evaluation sample answers at random instead of
        from the model's belief.
    arithmetic_error_rate:
        Probability that a proposed action's predicted outcome is wrong (e.g.
        a miscalculated result).
    malformed_rate:
        Probability that an answer is garbled (truncated, chatty, or missing
        the requested format), exercising the parsers.
    reflection_quality:
        Probability that a self-reflection names the actual mistake (a fact the
        next attempt can use) rather than a vague lesson -- when the feedback
        it reflects on states that mistake; it never finds one on its own.
    memory_adherence:
        Probability that a fact stated in the prompt's memory (feedback,
        reflections) is actually used by one request: decided per fact and
        per request (:meth:`SimContext.heeds`).  An unheeded fact leaves the
        prior belief in place; 1 uses every fact, 0 ignores memory entirely.
    """

    # Defaults: the medoid of the settings benchmarks/calibrate_sim.py found
    # consistent with the paper's *baselines* (20-trial ToT b=1 and b=2,
    # Reflexion, direct); RAFA is never in that fit.
    proposal_quality: float = 0.1165
    preference_sharpness: float = 1.0217
    wrong_belief_rate: float = 0.27
    value_noise: float = 0.0557
    arithmetic_error_rate: float = 0.03
    malformed_rate: float = 0.02
    reflection_quality: float = 0.24
    memory_adherence: float = 0.62

    @classmethod
    def perfect(cls, **overrides: float) -> NoiseModel:
        """A sim that knows the game exactly (for debugging and tests), except
        for the knobs given in ``overrides``."""
        values: dict[str, float] = {
            "proposal_quality": 1.0,
            "preference_sharpness": 1.0,
            "wrong_belief_rate": 0.0,
            "value_noise": 0.0,
            "arithmetic_error_rate": 0.0,
            "malformed_rate": 0.0,
            "reflection_quality": 1.0,
            "memory_adherence": 1.0,
        }
        values.update(overrides)
        return cls(**values)

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if name != "preference_sharpness" and not 0.0 <= value <= 1.0:
                raise ValueError(f"NoiseModel.{name} must be in [0, 1], got {value}")
        if self.preference_sharpness < 0:
            raise ValueError("NoiseModel.preference_sharpness must be >= 0")


_DEFAULT_NOISE = NoiseModel()


class LatencyModel(msgspec.Struct, frozen=True, kw_only=True):
    """Simulated service time: ``(ttft + completion_tokens / tokens_per_s) * scale``.

    ``tokens_per_s = 0`` means no per-token time (every call takes ``ttft``).
    ``jitter`` draws a seeded factor in ``[1 - jitter, 1 + jitter]``.  The sim
    sleeps with ``anyio.sleep``, so under trio's autojump clock tests pay no
    real time while benchmarks see real overlap.
    """

    ttft: float = 0.35
    tokens_per_s: float = 60.0
    jitter: float = 0.2
    scale: float = 1.0

    def seconds(self, completion_tokens: int, rng: random.Random) -> float:
        if self.scale == 0.0:
            return 0.0
        per_token = completion_tokens / self.tokens_per_s if self.tokens_per_s > 0 else 0.0
        base = self.ttft + per_token
        factor = 1.0 + self.jitter * (2.0 * rng.random() - 1.0) if self.jitter else 1.0
        return base * factor * self.scale

    def first_token_share(self, completion_tokens: int) -> float:
        """The share of a call's latency spent before its first token (the
        rest is spent streaming the tokens)."""
        per_token = completion_tokens / self.tokens_per_s if self.tokens_per_s > 0 else 0.0
        base = self.ttft + per_token
        return self.ttft / base if base > 0 else 1.0

    @classmethod
    def fixed(cls, seconds: float) -> LatencyModel:
        """Every call takes exactly ``seconds`` (benchmarks)."""
        return cls(ttft=seconds, tokens_per_s=0.0, jitter=0.0)


class FaultModel(msgspec.Struct, frozen=True, kw_only=True):
    """Provider faults, all off by default.

    Decided per (request, attempt), so a retry of a failed request can succeed.
    ``hang_rate`` makes a call sleep ``hang_seconds`` (exercises timeouts).
    """

    rate_limit_rate: float = 0.0
    retry_after: float = 1.0
    server_error_rate: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 600.0

    @property
    def enabled(self) -> bool:
        return bool(self.rate_limit_rate or self.server_error_rate or self.hang_rate)


class SimContext:
    """What an oracle may use to answer: a seeded generator and the noise model.

    An oracle answering an ``evaluate`` intent may set ``confidence``: the
    probability its own belief channel gives that the judged state is good
    (what a real provider's verdict logprobs would say, never the ground
    truth); the sim returns it as :attr:`ChatResponse.confidence`.
    """

    __slots__ = ("confidence", "intent", "noise", "rng", "seed")

    def __init__(self, intent: Intent, noise: NoiseModel, seed: int, rng: random.Random) -> None:
        self.intent = intent
        self.noise = noise
        self.seed = seed
        self.rng = rng
        self.confidence: float | None = None

    def _unit(self, tag: str, fact: str) -> float:
        """A persistent pseudo-random number in [0, 1) for a named fact."""
        return _persistent_unit(self.seed, tag, fact)

    def persistent_chance(self, fact: str, p: float) -> bool:
        """True for a persistent share ``p`` of facts (same fact, same answer)."""
        return self._unit("chance", fact) < p

    def prior_belief(self, fact: str, truth: bool) -> bool:
        """The model's prior about ``fact``: the truth, except for a persistent
        ``wrong_belief_rate`` share of facts, where it is the opposite."""
        wrong = self._unit("belief", fact) < self.noise.wrong_belief_rate
        return truth != wrong

    def preference(self, action: str) -> float:
        """Persistent positive weight of the model's liking for ``action``."""
        if self.noise.preference_sharpness == 0.0:
            return 1.0
        return _preference(self.seed, self.noise.preference_sharpness, action)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def heeds(self, fact: str) -> bool:
        """Whether this request uses ``fact``, a fact its prompt's memory states.

        The sim's one memory channel: every oracle reads memory facts through
        it, so a fact is used with probability ``memory_adherence``, decided
        per fact and per request (seed and intent), independent of call order,
        and without drawing from :attr:`rng` (so the other draws of a request
        do not shift with what memory holds or how it is heeded).
        """
        p = self.noise.memory_adherence
        if p >= 1.0:
            return True
        if p <= 0.0:
            return False
        return _request_unit(self.seed, self.intent, fact) < p

    def heeded(self, facts: Mapping[str, T]) -> Mapping[str, T]:
        """The entries of ``facts`` (keyed by what each is about) this request heeds."""
        if self.noise.memory_adherence >= 1.0:
            return facts
        return {key: value for key, value in facts.items() if self.heeds(key)}


class Oracle(Protocol):
    """A scenario's ground truth, able to answer intents in its prompt format.

    An oracle may carry ``default_noise``: the noise a scenario was calibrated
    with, used when the sim is not given one for that scenario.
    """

    def respond(self, ctx: SimContext) -> str: ...

    def garble(self, text: str, rng: random.Random) -> str:
        """A malformed version of ``text`` (what a confused model might return)."""
        ...


class SimLLM:
    """The simulated LLM.  Implements the :class:`~rafa_async.llm.LLM` protocol.

    ``noise`` is one model for every scenario, or a mapping by scenario name;
    a scenario without one uses its oracle's ``default_noise`` (if any), else
    ``NoiseModel()``.  Cancelled calls stop at the latency sleep and leave
    nothing behind.
    """

    def __init__(
        self,
        oracles: Mapping[str, Oracle],
        *,
        seed: int = 0,
        noise: NoiseModel | Mapping[str, NoiseModel] | None = None,
        latency: LatencyModel | None = None,
        faults: FaultModel | None = None,
        model: str = "sim",
    ) -> None:
        self.oracles = dict(oracles)
        self.seed = seed
        self.noise = noise
        self.latency = latency if latency is not None else LatencyModel()
        self.faults = faults if faults is not None else FaultModel()
        self.model = model
        self._attempts: dict[int, int] = {}
        self._encoder = msgspec.json.Encoder()

    @property
    def identity(self) -> str:
        """Everything besides the request that decides the sim's answers (its
        seed, noise and scenarios), for cache keys: a cached answer of seed 0
        must never be served to a run with seed 1."""
        knobs = msgspec.json.encode(
            {name: self.noise_for(name) for name in self.oracles}, order="sorted"
        )
        digest = hashlib.blake2b(knobs, digest_size=8).hexdigest()
        return f"sim:{self.model}:seed={self.seed}:{digest}"

    def request_key(self, request: ChatRequest) -> int:
        """What seeds a request's answer, latency and faults: the seed, the
        request's content (its intent, else its messages) and the caller's
        sampling seed if it set one (:func:`~rafa_async.sampling_seed`),
        never arrival order."""
        h = hashlib.blake2b(digest_size=8)
        h.update(str(self.seed).encode())
        sampling = current_sampling_seed()
        if sampling is not None:
            h.update(f"\x00sampling={sampling}".encode())
        if request.intent is not None:
            h.update(self._encoder.encode(request.intent))
        else:
            h.update(self._encoder.encode(request.messages))
        return int.from_bytes(h.digest(), "big")

    async def complete(self, request: ChatRequest) -> ChatResponse:
        key = await self.inject_faults(request)
        response, delay = self.respond(request, key)
        if delay > 0.0:
            await anyio.sleep(delay)
        else:
            await anyio.lowlevel.checkpoint()
        return response

    def respond(self, request: ChatRequest, key: int | None = None) -> tuple[ChatResponse, float]:
        """The answer and its simulated latency, computed without waiting:
        all of the sim's CPU work (benchmarks time it apart from the framework)."""
        if key is None:
            key = self.request_key(request)
        rng = random.Random(key)
        text, confidence = self._answer(request, rng)
        noise_rng = random.Random(key ^ 0x5EED)
        intent = request.intent
        if intent is not None:
            malformed = self.noise_for(intent.scenario).malformed_rate
            if noise_rng.random() < malformed:
                text = self.oracles[intent.scenario].garble(text, noise_rng)
                confidence = None  # a garbled answer states no verdict
        completion = estimate_tokens(text)
        response = ChatResponse(
            text=text,
            model=self.model,
            usage=Usage(prompt_tokens(request), completion),
            simulated=True,
            confidence=confidence,
        )
        return response, self.latency.seconds(completion, noise_rng)

    def _answer(self, request: ChatRequest, rng: random.Random) -> tuple[str, float | None]:
        """The oracle's text, and the confidence it reported (if any)."""
        intent = request.intent
        if intent is None:
            return (
                f"[{SIM_LABEL}] This is the rafa-async simulated LLM: it cannot answer "
                "free-form prompts, only requests that carry a structured intent "
                "(propose / evaluate / predict / solve / reflect; over HTTP, in the "
                "request field `rafa_intent`).",
                None,
            )
        oracle = self.oracles.get(intent.scenario)
        if oracle is None:
            known = ", ".join(sorted(self.oracles)) or "none"
            raise ProviderError(
                f"sim: no oracle for scenario {intent.scenario!r} (known: {known})",
                status=400,
            )
        ctx = SimContext(intent, self.noise_for(intent.scenario), self.seed, rng)
        return oracle.respond(ctx), ctx.confidence

    def noise_for(self, scenario: str) -> NoiseModel:
        """The noise model that applies to ``scenario``'s requests."""
        if isinstance(self.noise, NoiseModel):
            return self.noise
        if self.noise is not None and scenario in self.noise:
            return self.noise[scenario]
        default = getattr(self.oracles.get(scenario), "default_noise", None)
        return default if isinstance(default, NoiseModel) else _DEFAULT_NOISE

    async def inject_faults(self, request: ChatRequest) -> int | None:
        """One attempt's fault, if the fault model draws one: raises
        :class:`RateLimited` or :class:`ProviderError`, or hangs (cancellable).

        Returns the request's key when faults are on (so :meth:`respond` need
        not hash the request again), else ``None`` without hashing it.
        """
        if not self.faults.enabled:
            return None
        key = self.request_key(request)
        await self._maybe_fault(key)
        return key

    async def _maybe_fault(self, key: int) -> None:
        faults = self.faults
        attempt = self._attempts.get(key, 0)
        self._attempts[key] = attempt + 1
        u = random.Random(key * 1_000_003 + attempt).random()
        if u < faults.rate_limit_rate:
            raise RateLimited("sim: rate limited (429)", retry_after=faults.retry_after)
        u -= faults.rate_limit_rate
        if u < faults.server_error_rate:
            raise ProviderError("sim: internal server error (500)", status=500, retryable=True)
        u -= faults.server_error_rate
        if u < faults.hang_rate:
            await anyio.sleep(faults.hang_seconds)
