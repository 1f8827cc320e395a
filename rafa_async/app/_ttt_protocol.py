"""The paper's Tic-Tac-Toe protocol: training episodes against a fixed LLM, evaluation after each.

As the paper's code runs it (``agentification/RAFA_code``,
``Tic-Tac-Toe/run.py``): RAFA plays O against a fixed, non-learning LLM X
(seat kind ``llm-fixed``); it evaluates before training and after every
training episode (``eval_freq`` 1) with ``eval_games`` games in which
nothing learns, and scores each game 1 (O wins), 0 (draw) or -1 (X wins),
as its ``plot/get_data.py`` does.  Repeated for each ``B`` (proposals per
node) and several seeds, that is a learning curve: score against training
episodes, per ``B``, with a 95% band over the seeds.

Every game is sampled with a seed of its own (:func:`~rafa_async.sampling_seed`
mixing the run's seed, the phase, the episode and the game), so evaluation
games differ as a real model's sampled answers would; the same game index
gets the same seed under every ``B`` (common random numbers: the ``B``
compare on the same opponent draws).  With the sim, ``seed`` also seeds the
simulated model itself: seeds are different (simulated) models.
"""

from __future__ import annotations

import hashlib
import math
import statistics
from collections.abc import Callable, Sequence
from typing import Literal

import anyio
import msgspec

from rafa_async._concurrency import for_each_limited
from rafa_async._context import episode_scope, sampling_seed
from rafa_async._errors import ConfigError
from rafa_async._events import EventRecorder, ListSink, MatchTransition
from rafa_async._match import open_match
from rafa_async.agents import DirectPlayer, SearchToEndPlayer
from rafa_async.app._llm import LLMOptions, open_llm
from rafa_async.llm import LLM, SIM_LABEL, LatencyModel, NoiseModel
from rafa_async.planners import SearchToEndPlanner
from rafa_async.scenarios import get_game, simulated_llm
from rafa_async.scenarios.tictactoe import TicTacToeState, TicTacToeWorld

GAME = "tictactoe"
RAFA_SEAT = "O"
OPPONENT_SEAT = "X"
OPPONENT_KIND = "llm-fixed"
ProtocolPhase = Literal["train", "eval"]


class TTTProtocolConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Everything that determines the protocol's results (with the sim: all of them)."""

    b_values: tuple[int, ...] = (3, 4, 5)
    """Proposals per node of RAFA's search, one curve each."""
    seeds: int = 3
    """Runs per ``B``, seeded 0..seeds-1."""
    train_episodes: int = 10
    eval_games: int = 10
    """Evaluation games before training and after every training episode."""
    max_depth: int | None = None
    """RAFA's own moves searched ahead (None: to the end of the game, as the paper)."""
    provider: str = "sim"
    concurrency: int = 10
    """Evaluation games played at once (they do not learn, so order is moot)."""
    latency: LatencyModel = LatencyModel(scale=0.0)
    """The sim's latency: none by default (the curve does not depend on it)."""
    noise: NoiseModel | None = None

    def validate(self) -> None:
        if not self.b_values:
            raise ConfigError("b_values is empty: give at least one B", fields=("b_values",))
        if any(b < 1 for b in self.b_values):
            raise ConfigError(
                f"every B must be >= 1, got {list(self.b_values)}", fields=("b_values",)
            )
        if len(set(self.b_values)) != len(self.b_values):
            raise ConfigError(f"a B is given twice: {list(self.b_values)}", fields=("b_values",))
        for name in ("seeds", "eval_games", "concurrency"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be >= 1", fields=(name,))
        if self.train_episodes < 0:
            raise ConfigError("train_episodes must be >= 0", fields=("train_episodes",))
        if self.max_depth is not None and self.max_depth < 1:
            raise ConfigError("max_depth must be >= 1 (or None)", fields=("max_depth",))

    @property
    def games(self) -> int:
        """Games the protocol plays in all."""
        per_run = self.train_episodes + (self.train_episodes + 1) * self.eval_games
        return len(self.b_values) * self.seeds * per_run


class ProtocolGame(msgspec.Struct, frozen=True, kw_only=True):
    """One game of the protocol.  ``episode``: training episodes played before
    it (a training game is episode k's, k >= 1); ``score`` is RAFA's, -1/0/1."""

    b: int
    seed: int
    phase: ProtocolPhase
    episode: int
    game: int
    score: int
    moves: str
    """The game's moves in order, e.g. ``"b2 a1 c3"`` (X first)."""
    llm_calls: int
    examples: int
    """Examples in RAFA's memory after the game (what it has learnt so far)."""


class LearningPoint(msgspec.Struct, frozen=True, kw_only=True):
    """The evaluation after ``episode`` training episodes, over every seed."""

    episode: int
    mean: float
    """Mean score, -1..1, over seeds x evaluation games."""
    ci_low: float
    ci_high: float
    """95% band: Student's t over the seeds' means (over the games with one seed)."""
    seed_means: list[float]
    wins: int
    draws: int
    losses: int


class BCurve(msgspec.Struct, frozen=True, kw_only=True):
    b: int
    points: list[LearningPoint]
    llm_calls: int
    """Every game of this ``B``, training and evaluation."""


class LearningCurve(msgspec.Struct, frozen=True, kw_only=True):
    """The protocol's result (``curve.json``)."""

    game: str
    provider: str
    simulated: bool
    rafa_seat: str
    opponent: str
    config: TTTProtocolConfig
    curves: list[BCurve]
    games: list[ProtocolGame]
    wall_s: float
    note: str = ""
    """Says the sim is not a language model, when it is the sim."""


def game_seed(seed: int, phase: ProtocolPhase, episode: int, game: int) -> int:
    """The sampling seed of one game (the same for every ``B``)."""
    digest = hashlib.blake2b(f"ttt:{seed}:{phase}:{episode}:{game}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "big") >> 1


async def run_ttt_protocol(
    config: TTTProtocolConfig,
    *,
    llm: LLMOptions | None = None,
    stack: LLM | None = None,
    on_game: Callable[[ProtocolGame], None] | None = None,
) -> LearningCurve:
    """Run the protocol (see the module docstring); ``on_game`` is called as
    each game ends.  Each (B, seed) run opens its own LLM from ``llm``
    (default: the sim of that seed), or every run calls through ``stack``,
    an LLM already open (a study's: its limits and cost meter then see the
    protocol too; each game is sampled with its own seed either way).  The
    runs go at once.  Cancellable: cancelling the caller cancels every game
    and its calls."""
    config.validate()
    options = llm if llm is not None else LLMOptions(provider=config.provider)
    started = anyio.current_time()
    runs = [(b, seed) for b in config.b_values for seed in range(config.seeds)]
    results: dict[tuple[int, int], list[ProtocolGame]] = {}
    simulated = options.provider == "sim"

    async def run(key: tuple[int, int]) -> None:
        nonlocal simulated
        b, seed = key

        def sim() -> LLM:
            return simulated_llm(seed=seed, noise=config.noise, latency=config.latency)

        if stack is not None:
            games, saw_sim = await _run(config, b, seed, stack, on_game)
        else:
            async with open_llm(options, sim=sim, seed=seed) as opened:
                games, saw_sim = await _run(config, b, seed, opened, on_game)
        results[key] = games
        simulated = simulated or saw_sim

    await for_each_limited(runs, len(runs), run)
    games = [game for key in runs for game in results[key]]
    curves = [_curve(config, b, [g for g in games if g.b == b]) for b in config.b_values]
    return LearningCurve(
        game=GAME,
        provider=SIM_LABEL if options.provider == "sim" else options.provider,
        simulated=simulated,
        rafa_seat=RAFA_SEAT,
        opponent=OPPONENT_KIND,
        config=config,
        curves=curves,
        games=games,
        wall_s=round(anyio.current_time() - started, 3),
        note=f"{SIM_LABEL}: the sim is not a language model" if simulated else "",
    )


async def _run(
    config: TTTProtocolConfig,
    b: int,
    seed: int,
    llm: LLM,
    on_game: Callable[[ProtocolGame], None] | None,
) -> tuple[list[ProtocolGame], bool]:
    """One (B, seed) run: evaluate, then train once and evaluate, ``train_episodes`` times."""
    world = TicTacToeWorld()
    planner: SearchToEndPlanner[TicTacToeState] = SearchToEndPlanner(
        llm,
        world,
        b=b,
        max_depth=config.max_depth,
    )
    learner = SearchToEndPlayer(planner, world)
    games: list[ProtocolGame] = []
    saw_sim = False

    async def play(
        player: SearchToEndPlayer[TicTacToeState], phase: ProtocolPhase, episode: int, game: int
    ) -> None:
        nonlocal saw_sim
        score, moves, calls, simulated = await _game(llm, player, seed, phase, episode, game, b)
        saw_sim = saw_sim or simulated
        record = ProtocolGame(
            b=b,
            seed=seed,
            phase=phase,
            episode=episode,
            game=game,
            score=score,
            moves=moves,
            llm_calls=calls,
            examples=len(learner.memory),
        )
        games.append(record)
        if on_game is not None:
            on_game(record)

    async def evaluate(episode: int) -> None:
        async def one(game: int) -> None:
            await play(learner.frozen(), "eval", episode, game)

        await for_each_limited(list(range(config.eval_games)), config.concurrency, one)

    await evaluate(0)
    for episode in range(1, config.train_episodes + 1):
        await play(learner, "train", episode, 0)
        await evaluate(episode)
    games.sort(key=lambda g: (g.episode, g.phase != "train", g.game))
    return games, saw_sim


async def _game(
    llm: LLM,
    rafa: SearchToEndPlayer[TicTacToeState],
    seed: int,
    phase: ProtocolPhase,
    episode: int,
    game: int,
    b: int,
) -> tuple[int, str, int, bool]:
    """One game, RAFA as O against a fresh fixed LLM X: RAFA's score (-1/0/1),
    the moves, the game's LLM calls, and whether any answer was simulated."""
    spec = get_game(GAME)
    fixed = DirectPlayer(llm, spec.world(OPPONENT_SEAT), learn=False, name=OPPONENT_KIND)
    name = f"{GAME}-b{b}-s{seed}-{phase}{episode}-g{game}"
    events = ListSink()
    with episode_scope(name) as scope, sampling_seed(game_seed(seed, phase, episode, game)):
        async with open_match(
            spec.make(),
            {OPPONENT_SEAT: fixed, RAFA_SEAT: rafa},
            seed=seed,
            match_id=name,
            recorder=EventRecorder(events),
        ) as match:
            result = await match.run()
            await rafa.settled()  # the last move learnt before the players are cancelled
    score = round(2 * result.scores[RAFA_SEAT] - 1)
    moves = " ".join(
        action
        for event in events.events
        if isinstance(event, MatchTransition)
        for action in event.actions.values()
    )
    return score, moves, scope.calls.started, scope.calls.simulated > 0


def _curve(config: TTTProtocolConfig, b: int, games: Sequence[ProtocolGame]) -> BCurve:
    points = []
    for episode in range(config.train_episodes + 1):
        evaluated = [g for g in games if g.phase == "eval" and g.episode == episode]
        per_seed = [[g.score for g in evaluated if g.seed == seed] for seed in range(config.seeds)]
        seed_means = [statistics.fmean(s) for s in per_seed if s]
        scores = [g.score for g in evaluated]
        mean = statistics.fmean(scores) if scores else 0.0
        samples = seed_means if len(seed_means) > 1 else [float(s) for s in scores]
        low, high = mean_band(samples, mean)
        points.append(
            LearningPoint(
                episode=episode,
                mean=mean,
                ci_low=low,
                ci_high=high,
                seed_means=seed_means,
                wins=sum(s == 1 for s in scores),
                draws=sum(s == 0 for s in scores),
                losses=sum(s == -1 for s in scores),
            )
        )
    return BCurve(b=b, points=points, llm_calls=sum(g.llm_calls for g in games))


_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228)
"""Student's t 97.5% quantiles for 1..10 degrees of freedom (then 1.96 suffices)."""


def mean_band(samples: Sequence[float], mean: float) -> tuple[float, float]:
    """The 95% band of a mean of scores in [-1, 1] (Student's t), clipped to [-1, 1];
    the mean itself with fewer than two samples."""
    n = len(samples)
    if n < 2:
        return mean, mean
    t = _T975[n - 2] if n - 1 <= len(_T975) else 1.96
    half = t * statistics.stdev(samples) / math.sqrt(n)
    return max(-1.0, mean - half), min(1.0, mean + half)
