"""CPU cost per call of each LLM middleware, at zero provider latency.

    uv run python benchmarks/middleware_overhead.py [--calls 20000] [--rounds 5]

Every configuration wraps the same trivial provider (returns a prebuilt
response without awaiting), and is called sequentially from one task; the
figure is the best round's time per call minus the bare provider's, on trio
and on asyncio.  Rate limits are set so high that no call waits (the cost of
the bookkeeping, not of waiting).  Cache and cassette files live in a temp
directory (SQLite WAL, synchronous=NORMAL; cassette lines flushed per call).
Prints a table and writes benchmarks/results/middleware_overhead.json.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
from _report import parse_args, write_report

from rafa_async.llm import (
    DEFAULT_PRICES,
    LLM,
    Cache,
    ChatRequest,
    ChatResponse,
    Intent,
    Message,
    MiddlewareStack,
    RateLimit,
    Recorder,
    Replayer,
    Usage,
    UsageMeter,
)

RESPONSE = ChatResponse(
    text="4 + 9 = 13 (left: 10 13 13)", model="gpt-4o-mini", usage=Usage(120, 9)
)


class Instant:
    identity = "instant"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        return RESPONSE


def requests(n: int, tag: str) -> list[ChatRequest]:
    prompt = "Use numbers and basic arithmetic operations (+ - * /) to obtain 24. " * 6
    return [
        ChatRequest(
            messages=(Message("user", prompt + f"Input: {tag} {i}"),),
            model="gpt-4o-mini",
            intent=Intent(kind="propose", scenario="game24", state=f"{tag} {i}", sample=i % 10),
        )
        for i in range(n)
    ]


Build = Callable[[Path, list[ChatRequest]], LLM]


def all_on(path: Path, cache: Path | str) -> MiddlewareStack:
    return MiddlewareStack(
        Instant(),
        rpm=1e12,
        tpm=1e15,
        rpm_burst=1e12,
        tpm_burst=1e15,
        cache=cache,
        record=path / f"stack-{time.monotonic_ns()}.cassette",
        prices=DEFAULT_PRICES,
    )


def configurations() -> dict[str, Build]:
    def cassette(path: Path, reqs: list[ChatRequest]) -> Path:
        file = path / "replay.cassette"
        if not file.exists():
            recorder = Recorder(Instant(), file)
            for r in reqs:
                anyio.run(recorder.complete, r)  # once, outside the timing
            recorder.close()
        return file

    return {
        "bare provider": lambda path, reqs: Instant(),
        "UsageMeter (no prices)": lambda path, reqs: UsageMeter(Instant()),
        "UsageMeter + prices": lambda path, reqs: UsageMeter(Instant(), prices=DEFAULT_PRICES),
        "RateLimit rpm+tpm (no wait)": lambda path, reqs: RateLimit(
            Instant(), rpm=1e12, tpm=1e15, rpm_burst=1e12, tpm_burst=1e15
        ),
        "Cache hit (:memory:)": lambda path, reqs: Cache(Instant(), ":memory:"),
        "Cache miss + store (file)": lambda path, reqs: Cache(
            Instant(), path / f"miss-{time.monotonic_ns()}.sqlite"
        ),
        "Recorder (file)": lambda path, reqs: Recorder(
            Instant(), path / f"rec-{time.monotonic_ns()}.cassette"
        ),
        "Replayer": lambda path, reqs: Replayer(cassette(path, reqs)),
        "stack, defaults": lambda path, reqs: MiddlewareStack(Instant()),
        "stack, all on (cache hit)": lambda path, reqs: all_on(path, ":memory:"),
        "stack, all on (cache miss)": lambda path, reqs: all_on(
            path, path / f"stack-{time.monotonic_ns()}.sqlite"
        ),
    }


def close(llm: Any) -> None:
    for part in (llm, getattr(llm, "cache", None), getattr(llm, "cassette", None)):
        if part is not None and hasattr(part, "close"):
            part.close()


async def time_calls(llm: LLM, reqs: list[ChatRequest], same: bool) -> float:
    complete = llm.complete
    if same:
        await complete(reqs[0])  # the one miss, outside the timing
        one = reqs[0]
        started = time.perf_counter()
        for _ in reqs:
            await complete(one)
    else:
        started = time.perf_counter()
        for r in reqs:
            await complete(r)
    return (time.perf_counter() - started) / len(reqs)


def measure(backend: str, calls: int, rounds: int, workdir: Path) -> dict[str, float]:
    reqs = requests(calls, "x")
    best: dict[str, float] = {}
    for name, build in configurations().items():
        same = "hit" in name
        times = []
        for _ in range(rounds):
            llm = build(workdir, reqs)
            times.append(anyio.run(time_calls, llm, reqs, same, backend=backend))
            close(llm)
        best[name] = min(times)
    bare = best["bare provider"]
    return {name: round((t - bare) * 1e6, 2) for name, t in best.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parse_args(parser, calls=500, rounds=1)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("trio", "asyncio"):
            results[backend] = measure(backend, args.calls, args.rounds, Path(tmp))
    names = list(results["trio"])
    print(f"{'us per call over the bare provider':36} {'trio':>8} {'asyncio':>8}")
    for name in names:
        print(f"{name:36} {results['trio'][name]:8.2f} {results['asyncio'][name]:8.2f}")
    write_report(
        args.out / "middleware_overhead.json",
        {"calls": args.calls, "rounds": args.rounds, "us_per_call_over_bare": results},
    )


if __name__ == "__main__":
    main()
