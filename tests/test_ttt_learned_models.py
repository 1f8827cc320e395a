"""Tic-tac-toe's learned models as the sim answers them: the board after a
move and the winner, from the prompt alone, through the shared noise."""

from __future__ import annotations

import random
import re

import pytest

from rafa_async import MalformedResponse
from rafa_async.llm import ChatRequest, NoiseModel, SimLLM
from rafa_async.scenarios.tictactoe import TicTacToeOracle, TicTacToeState, TicTacToeWorld
from rafa_async.scenarios.tictactoe._learned import (
    board_fact,
    parse_board,
    parse_winner,
    verdict_of,
    winner_fact,
)

EXACT = NoiseModel.perfect()
WORLD = TicTacToeWorld()


def answer(request: ChatRequest, noise: NoiseModel = EXACT, seed: int = 0) -> str:
    sim = SimLLM({"tictactoe": TicTacToeOracle()}, seed=seed, noise=noise)
    response, _ = sim.respond(request)
    return response.text


def positions(n: int, seed: int = 1) -> list[TicTacToeState]:
    """``n`` random positions still in play, from random games."""
    rng = random.Random(seed)
    found: list[TicTacToeState] = []
    while len(found) < n:
        state = TicTacToeState.initial()
        for _ in range(rng.randrange(0, 8)):
            if state.done:
                break
            state = state.play(rng.choice(state.legal_moves()))
        if not state.done:
            found.append(state)
    return found


def test_the_exact_sim_predicts_the_true_board_and_verdict() -> None:
    for i, state in enumerate(positions(40)):
        move = state.legal_moves()[i % len(state.legal_moves())]
        after = state.play(move)
        request = WORLD.transition_request(state, state.to_play, move, (), i)
        assert WORLD.parse_transition(answer(request)) == after
        verdict = WORLD.parse_winner(answer(WORLD.winner_request(after, (), i)))
        assert verdict == verdict_of(after)


def test_the_noisy_sim_misreads_some_boards_and_verdicts_at_its_error_rate() -> None:
    slips = NoiseModel.perfect(arithmetic_error_rate=0.3)
    wrong_boards = wrong_verdicts = 0
    states = positions(200, seed=2)
    for i, state in enumerate(states):
        move = state.legal_moves()[0]
        after = state.play(move)
        request = WORLD.transition_request(state, state.to_play, move, (), i)
        wrong_boards += WORLD.parse_transition(answer(request, slips)) != after
        said = WORLD.parse_winner(answer(WORLD.winner_request(after, (), i), slips))
        wrong_verdicts += said != verdict_of(after)
    # Only a last move into the only empty cell cannot be misplaced.
    assert 0.15 * len(states) < wrong_boards < 0.45 * len(states)
    assert 0.15 * len(states) < wrong_verdicts < 0.45 * len(states)


def test_an_example_in_the_prompt_is_what_the_model_answers() -> None:
    state = TicTacToeState.initial().play("b2")
    wrong = TicTacToeState.initial().play("a1")  # an example may be anything the prompt says
    example = board_fact("X", "b2", TicTacToeState.initial().key, wrong.key)
    request = WORLD.transition_request(TicTacToeState.initial(), "X", "b2", (example,), 0)
    assert WORLD.parse_transition(answer(request)) == wrong
    verdict = winner_fact(state.key, "O")
    assert WORLD.parse_winner(answer(WORLD.winner_request(state, (verdict,), 0))) == "O"


def test_each_learned_model_is_shown_only_its_own_examples() -> None:
    state = TicTacToeState.initial()
    memory = (
        "X played b2 in .../.../...",
        board_fact("X", "b2", state.key, state.play("b2").key),
        winner_fact(state.key, "none"),
    )
    transition = WORLD.transition_request(state, "X", "b2", memory, 0)
    winner = WORLD.winner_request(state, memory, 0)
    assert transition.intent is not None and transition.intent.memory == (memory[1],)
    assert winner.intent is not None and winner.intent.memory == (memory[2],)


def test_the_learned_models_intents_carry_only_what_the_prompt_says() -> None:
    for i, state in enumerate(positions(10, seed=4)):
        move = state.legal_moves()[0]
        memory = (board_fact(state.to_play, move, state.key, state.play(move).key),)
        for request in (
            WORLD.transition_request(state, state.to_play, move, memory, i),
            WORLD.winner_request(state, (winner_fact(state.key, "none"),), i),
        ):
            intent = request.intent
            assert intent is not None
            prompt = "\n".join(m.content for m in request.messages)
            assert intent.state in prompt and intent.detail in prompt
            assert all(line in prompt for line in intent.memory)


@pytest.mark.parametrize(
    ("text", "verdict"),
    [("Winner: X", "X"), ("**Winner:** o.", "O"), ("Winner: draw", "draw"), ("none", "none")],
)
def test_parse_winner_reads_the_verdict(text: str, verdict: str) -> None:
    assert parse_winner(text) == verdict


@pytest.mark.parametrize("text", ["Winner: maybe", "", "I am not sure"])
def test_parse_winner_refuses_anything_else(text: str) -> None:
    with pytest.raises(MalformedResponse, match=re.escape("Winner: X | O | draw | none")):
        parse_winner(text)


def test_parse_board_reads_one_reachable_key() -> None:
    assert parse_board("Board: X../.O./...").key == "X../.O./..."
    with pytest.raises(MalformedResponse, match="one position"):
        parse_board("Board: X../.O./... or .../.../...")
    with pytest.raises(MalformedResponse, match="reachable"):
        parse_board("Board: XXX/.../...")
