"""Tic-Tac-Toe as the paper runs it: search to the end with learned models,
learning only on mispredictions, a fixed LLM opponent, and the protocol."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
import pytest
from support import assert_one_line_error, rafa

from rafa_async import EventRecorder, ListSink, MatchTransition, open_match
from rafa_async.agents import DirectPlayer, Memory, SearchToEndPlayer, SwitchEveryStep
from rafa_async.app import (
    LearningCurve,
    PlayConfig,
    TTTProtocolConfig,
    play_match,
    run_ttt_protocol,
)
from rafa_async.llm import ChatRequest, ChatResponse, LatencyModel, NoiseModel, SimLLM
from rafa_async.planners import Proposal, SearchToEndPlanner
from rafa_async.scenarios.tictactoe import (
    TicTacToe,
    TicTacToeOracle,
    TicTacToeState,
    TicTacToeWorld,
    memory_facts,
    state_from_key,
)
from rafa_async.scenarios.tictactoe._learned import verdict_of

EXACT = NoiseModel.perfect()


def sim(noise: NoiseModel | None = None, seed: int = 0) -> SimLLM:
    return SimLLM(
        {"tictactoe": TicTacToeOracle()}, seed=seed, noise=noise, latency=LatencyModel.fixed(1.0)
    )


class Recording:
    """An LLM that records every request it passes on."""

    def __init__(self, llm: SimLLM) -> None:
        self.llm = llm
        self.requests: list[ChatRequest] = []

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        return await self.llm.complete(request)


class SpyPlanner(SearchToEndPlanner[TicTacToeState]):
    """Records what the opponent model predicted, and when plans were dropped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.predicted: list[str | None] = []
        self.memory: Memory | None = None
        self.examples_at_invalidation: list[int] = []

    async def predict(
        self, state: TicTacToeState, memory: Any, *, salt: int = 0
    ) -> Proposal[TicTacToeState] | None:
        reply = await super().predict(state, memory, salt=salt)
        self.predicted.append(None if reply is None else reply.action)
        return reply

    def invalidate(self) -> None:
        assert self.memory is not None
        self.examples_at_invalidation.append(len(self.memory))
        super().invalidate()


async def learner_game(
    player: SearchToEndPlayer[TicTacToeState], llm: Any
) -> list[MatchTransition]:
    """One game: a fixed LLM X against ``player`` as O; the transitions."""
    sink = ListSink()
    fixed = DirectPlayer(llm, TicTacToeWorld(), learn=False)
    async with open_match(
        TicTacToe(), {"X": fixed, "O": player}, seed=0, recorder=EventRecorder(sink)
    ) as match:
        await match.run()
        await player.settled()
    return [e for e in sink.events if isinstance(e, MatchTransition)]


# -- the planner -----------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("b", [1, 3])
async def test_the_planner_searches_to_the_end_of_the_game_with_learned_models(b: int) -> None:
    llm = Recording(sim(EXACT))
    world = TicTacToeWorld()
    planner = SearchToEndPlanner(llm, world, b=b)
    state = TicTacToeState.initial().play("b2")
    plan = await planner.plan(state, (), player="O")
    assert plan.value in (-1.0, 0.0, 1.0)
    assert plan.steps and plan.steps[0].action in state.legal_moves()
    asked = [r.intent for r in llm.requests if r.intent is not None]
    judged = [state_from_key(i.state) for i in asked if i.detail == "winner"]
    assert any(s.done for s in judged), "no line reached the end of the game"
    # Lines end only where the winner model says so: every board judged "over" is over.
    assert all(s.moves > state.moves for s in judged)
    # No value oracle is asked: only the actor and the learned models.
    assert {(i.kind, "move" if " plays " in i.detail else i.detail) for i in asked} <= {
        ("propose", "O"),
        ("predict", "move"),
        ("predict", "X"),
        ("evaluate", "winner"),
    }


@pytest.mark.anyio
async def test_the_planner_takes_a_win_and_blocks_a_loss_with_exact_models() -> None:
    planner = SearchToEndPlanner(sim(EXACT), TicTacToeWorld(), b=3)
    win = state_from_key("XX./OO./X..")  # O to move: b2's row a2-b2-c2 wins at c2
    plan = await planner.plan(win, (), player="O")
    assert plan.value == 1.0 and plan.steps[0].action == "c2"


@pytest.mark.anyio
async def test_max_depth_bounds_the_search() -> None:
    llm = Recording(sim(EXACT))
    planner = SearchToEndPlanner(llm, TicTacToeWorld(), b=2, max_depth=1)
    state = TicTacToeState.initial().play("b2")
    await planner.plan(state, (), player="O")
    deepest = max(state_from_key(r.intent.state).moves for r in llm.requests if r.intent)
    assert deepest <= state.moves + 2  # my move and the reply, no further


@pytest.mark.anyio
async def test_plans_are_memoised_until_invalidated() -> None:
    llm = Recording(sim(EXACT))
    planner = SearchToEndPlanner(llm, TicTacToeWorld(), b=2)
    state = TicTacToeState.initial().play("a1")
    first = await planner.plan(state, (), player="O")
    asked = len(llm.requests)
    again = await planner.plan(state, (), player="O")
    assert len(llm.requests) == asked and again.steps == first.steps
    planner.invalidate()
    assert not planner.memo
    await planner.plan(state, (), player="O")
    assert len(llm.requests) > asked


# -- learning on mispredictions only ---------------------------------------------------


@pytest.mark.anyio
async def test_the_opponent_model_learns_only_on_a_misprediction_and_plans_are_dropped_then() -> (
    None
):
    llm = sim(NoiseModel(malformed_rate=0.0), seed=3)
    world = TicTacToeWorld()
    planner = SpyPlanner(llm, world, b=2)
    player = SearchToEndPlayer(planner, world)
    planner.memory = player.memory
    # Two games: the fixed X asks the same questions in both, so the second
    # game shows what the first taught.
    games = [await learner_game(player, llm), await learner_game(player, llm)]
    x_moves: list[tuple[str, str]] = []
    for transitions in games:
        before = TicTacToeState.initial()
        for event in transitions:
            ((mover, move),) = event.actions.items()
            if mover == "X":
                x_moves.append((before.key, move))
            before = state_from_key(event.state)
    missed = [xm for xm, p in zip(x_moves, planner.predicted, strict=True) if xm[1] != p]
    hit = len(x_moves) - len(missed)
    assert missed and hit, "the test needs both hits and misses"
    # The opponent's examples are exactly its mispredicted moves.
    # (memory keeps a line once: a move mispredicted twice is one example)
    facts = memory_facts(player.memory.lines())
    assert {(key, m) for key, moves in facts.items() for m in moves} == set(missed)
    assert player.learning.learnt["opponent"] == len(missed)
    assert player.learning.checked["opponent"] == len(missed) + hit
    # The memoised plans were dropped whenever memory grew, and only then.
    grew = planner.examples_at_invalidation
    assert grew and grew[0] > 0 and grew == sorted(set(grew)) and grew[-1] == len(player.memory)


@pytest.mark.anyio
async def test_every_step_switching_learns_every_move() -> None:
    llm = sim(NoiseModel(malformed_rate=0.0), seed=3)
    world = TicTacToeWorld()
    player = SearchToEndPlayer(
        SearchToEndPlanner(llm, world, b=2), world, switching=SwitchEveryStep()
    )
    transitions = await learner_game(player, llm)
    x_moves = sum("X" in e.actions for e in transitions)
    assert player.learning.learnt["opponent"] == x_moves
    assert player.learning.learnt["dynamics"] == len(transitions)
    assert player.planner.invalidations == len(transitions)


@pytest.mark.anyio
async def test_a_frozen_player_neither_checks_nor_learns() -> None:
    llm = Recording(sim(seed=3))
    world = TicTacToeWorld()
    player = SearchToEndPlayer(SearchToEndPlanner(llm, world, b=2), world)
    player.memory.add("X played b2 in .../.../...")
    frozen = player.frozen()
    await learner_game(frozen, llm)
    assert frozen.memory.lines() == player.memory.lines()
    assert frozen.planner.invalidations == 0
    assert sum(frozen.learning.checked.values()) == 0
    assert not player.planner.memo  # the twin's memo is its own


# -- the fixed LLM seat ----------------------------------------------------------------


@pytest.mark.parametrize(("kind", "learns"), [("llm-fixed", False), ("direct", True)])
@pytest.mark.anyio
async def test_the_fixed_llm_seat_never_learns(kind: str, learns: bool) -> None:
    config = PlayConfig(
        game="tictactoe", seats={"X": kind, "O": "random"}, latency=LatencyModel(scale=0.0)
    )
    memory = Memory()
    for episode in range(2):
        await play_match(config, episode, phase="train", memories={"X": memory})
    assert bool(len(memory)) is learns


def test_the_fixed_llm_seat_plays_through_rafa_play() -> None:
    result = rafa(
        "play", "tictactoe", "--x", "llm-fixed", "--o", "rafa-search", "--n-candidates", "2",
        "--episodes", "1", "--train", "1", "--latency-scale", "0", "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "llm-fixed" in result.output and "rafa-search" in result.output


def test_rafa_search_refuses_a_game_without_learned_models() -> None:
    result = rafa(
        "play", "nim", "--seat", "A=rafa-search", "--episodes", "1", "--latency-scale", "0",
        "--no-progress",
    )  # fmt: skip
    assert_one_line_error(result, "unknown player 'rafa-search' for seat A")


# -- the protocol ----------------------------------------------------------------------


TINY = TTTProtocolConfig(b_values=(2,), seeds=1, train_episodes=1, eval_games=6)


@pytest.mark.anyio
async def test_evaluation_games_differ_and_score_minus_one_to_one() -> None:
    curve = await run_ttt_protocol(TINY)
    evaluation = [g for g in curve.games if g.phase == "eval" and g.episode == 0]
    assert len(evaluation) == 6
    assert len({g.moves for g in evaluation}) > 1, "every evaluation game was the same game"
    assert {g.score for g in curve.games} <= {-1, 0, 1}
    for point in curve.curves[0].points:
        assert point.wins + point.draws + point.losses == 6
        assert -1.0 <= point.ci_low <= point.mean <= point.ci_high <= 1.0
    assert curve.simulated and "not a language model" in curve.note


@pytest.mark.anyio
async def test_the_protocol_scores_each_game_by_its_result() -> None:
    curve = await run_ttt_protocol(TINY)
    for game in curve.games:
        final = TicTacToeState.initial()
        for move in game.moves.split():
            final = final.play(move)
        expected = {"O": 1, "X": -1, "draw": 0}[verdict_of(final)]
        assert game.score == expected


@pytest.mark.parametrize("backend", ["trio", "asyncio"])
def test_rafa_study_tictactoe_runs_end_to_end(tmp_path: Path, backend: str) -> None:
    out = tmp_path / "study"
    result = rafa(
        "study", "tictactoe", "--b", "2,3", "--seeds", "2", "--train-episodes", "1",
        "--eval-games", "2", "--out", str(out), "--backend", backend, "--no-progress",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "SIMULATED LLM" in result.output
    curve = msgspec.json.decode((out / "curve.json").read_bytes(), type=LearningCurve)
    assert [c.b for c in curve.curves] == [2, 3]
    assert [p.episode for p in curve.curves[0].points] == [0, 1]
    assert len(curve.games) == 2 * 2 * (1 + 2 * 2)
    assert json.loads((out / "curve.json").read_text())["simulated"] is True
    assert (out / "curve.png").stat().st_size > 0


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--b", "3,x"), ("--b", "3,x")),
        (("--b", "0"), ("B must be >= 1",)),
        (("--b", "3,3"), ("given twice",)),
        (("--seeds", "0"), ("seeds must be >= 1",)),
        (("--eval-games", "0"), ("--eval-games must be >= 1",)),
    ],
)
def test_rafa_study_tictactoe_refuses_bad_input(
    tmp_path: Path, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    result = rafa("study", "tictactoe", *args, "--out", str(tmp_path / "o"), "--no-progress")
    assert_one_line_error(result, *fragments)


def test_rafa_study_tictactoe_keeps_a_non_empty_out_dir(tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("keep me")
    result = rafa("study", "tictactoe", "--out", str(tmp_path), "--no-progress")
    assert_one_line_error(result, "not empty", "--force")
