"""Two kinds of player meet on two games, on one shared LLM: a program on rafa_async.app.

    uv run python examples/app_series.py [--episodes 4] [--provider sim]

RAFA and the one-call-per-move baseline play each other (they swap seats
every match) at Tic-Tac-Toe and Connect Four.  The LLM is opened once
(open_llm: the same options and the same middleware as ``rafa play
--provider``) and shared by every match; every player is built by
make_player, as ``rafa play`` builds them.  With the default provider the
LLM is the SIMULATED one, and the table says so.
"""

from __future__ import annotations

import argparse

import anyio

from rafa_async.app import LLMOptions, PlayConfig, SeriesSummary, open_llm, play_series, resolve_llm
from rafa_async.llm import SIM_LABEL, LatencyModel
from rafa_async.scenarios import simulated_llm

MATCHES = {"tictactoe": {"X": "rafa", "O": "direct"}, "connect4": {"R": "rafa", "Y": "direct"}}


async def play_round(options: LLMOptions, episodes: int, seed: int = 0) -> list[SeriesSummary]:
    """Each game's series, on one LLM (the sim answers at once)."""
    sim = lambda: simulated_llm(seed=seed, latency=LatencyModel(scale=0))  # noqa: E731
    provider = resolve_llm(options).label
    async with open_llm(options, sim=sim, seed=seed) as llm:
        summaries = []
        for game, seats in MATCHES.items():
            config = PlayConfig(
                game=game, seats=seats, episodes=episodes, seed=seed, rotate=True, provider=provider
            )
            summaries.append((await play_series(config, llm=llm))[1])
    return summaries


def print_table(summaries: list[SeriesSummary]) -> None:
    if any(summary.simulated for summary in summaries):
        print(SIM_LABEL)
    print(f"{'game':<10} {'player':<7} {'wins':>4} {'draws':>5} {'losses':>6} {'mean':>5}")
    for summary in summaries:
        for seat in summary.seats:
            mean = "n/a" if seat.mean_score is None else f"{seat.mean_score:.2f}"
            print(
                f"{summary.game:<10} {seat.kind:<7} {seat.wins:>4} {seat.draws:>5} "
                f"{seat.losses:>6} {mean:>5}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--episodes", type=int, default=4, help="matches per game")
    parser.add_argument("--provider", default="sim", help="PROVIDER[:MODEL], as rafa play takes")
    args = parser.parse_args()
    print_table(anyio.run(play_round, LLMOptions(provider=args.provider), args.episodes))


if __name__ == "__main__":
    main()
