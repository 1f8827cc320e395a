"""Connect Four: rules, the negamax search, parsers, the sim oracle and the world model."""

from __future__ import annotations

import random
from typing import Any

import pytest

from rafa_async import MalformedResponse, ProviderError
from rafa_async.llm import Intent, LatencyModel, NoiseModel, SimContext, SimLLM
from rafa_async.scenarios.connect4 import (
    ConnectFour,
    ConnectFourOracle,
    ConnectFourState,
    ConnectFourWorld,
    NegamaxPolicy,
    RandomPolicy,
    _negamax,
    best_moves,
    memory_facts,
    parse_move,
    parse_reply,
    parse_value,
    played_fact,
    state_from_key,
    value,
    value_for,
)

GAME = ConnectFour()
WORLD = ConnectFourWorld()
ORACLE = ConnectFourOracle()
PERFECT = NoiseModel.perfect()

FULL_DRAW = "YYRRYYR/RRYYRRY/YYRRYYR/RRYYRRY/YYRRYYR/RRYYRRY"
"""A full board without four in a row."""
LAST_MOVE_DRAWS = "." + FULL_DRAW[1:]
"""The same board before Y's last piece in column 1."""


def play(*moves: str) -> ConnectFourState:
    state = GAME.reset(0)
    for move in moves:
        state = GAME.step(state, {state.to_play: move}).state
    return state


def ask(request: Any, noise: NoiseModel = PERFECT, seed: int = 0) -> str:
    """The sim oracle's answer to a world request, without the async SimLLM."""
    intent = request.intent
    return ORACLE.respond(SimContext(intent, noise, seed, random.Random(intent.sample)))


def context(kind: Any, state: str, detail: str = "") -> SimContext:
    intent = Intent(kind=kind, scenario="connect4", state=state, detail=detail)
    return SimContext(intent, PERFECT, 0, random.Random(0))


def midgame_states(games: int = 3) -> list[ConnectFourState]:
    """Positions 4-20 moves into a few seeded random games, every third one."""
    states = []
    for seed in range(games):
        policy = RandomPolicy(seed=seed)
        state = GAME.reset(0)
        while not state.done and state.moves < 20:
            if state.moves >= 4 and state.moves % 3 == 0:
                states.append(state)
            state = state.play(policy.move(state))
    return states


# -- rules ---------------------------------------------------------------------------


def test_red_moves_first_on_an_empty_board() -> None:
    state = GAME.reset(0)

    assert GAME.to_move(state) == ("R",)
    assert GAME.legal_actions(state, "R") == ("1", "2", "3", "4", "5", "6", "7")


def test_a_piece_falls_to_the_lowest_empty_cell() -> None:
    state = play("4", "4")

    assert state.board[3] == "R"  # row 1, column 4
    assert state.board[7 + 3] == "Y"  # row 2, column 4


def test_the_player_not_to_move_has_no_legal_actions() -> None:
    assert GAME.legal_actions(play("4"), "R") == ()


@pytest.mark.parametrize(
    ("moves", "winner"),
    [
        (("1", "2", "1", "2", "1", "2", "1"), "R"),
        (("1", "1", "2", "2", "3", "3", "4"), "R"),
        (("1", "2", "2", "3", "7", "3", "3", "4", "7", "4", "6", "4", "4"), "R"),
        (("7", "6", "6", "5", "1", "5", "5", "4", "1", "4", "2", "4", "4"), "R"),
        (("1", "2", "1", "2", "1", "2", "7", "2"), "Y"),
    ],
    ids=["vertical", "horizontal", "diagonal", "anti-diagonal", "yellow-vertical"],
)
def test_four_in_a_line_wins(moves: tuple[str, ...], winner: str) -> None:
    before = play(*moves[:-1])

    step = GAME.step(before, {before.to_play: moves[-1]})

    assert before.winner is None
    assert step.state.winner == winner
    assert step.done


def test_a_win_rewards_the_winner_one_and_the_loser_minus_one() -> None:
    before = play("1", "2", "1", "2", "1", "2")

    assert GAME.step(before, {"R": "1"}).rewards == {"R": 1.0, "Y": -1.0}


def test_moves_before_the_end_reward_nobody() -> None:
    assert GAME.step(GAME.reset(0), {"R": "4"}).rewards == {"R": 0.0, "Y": 0.0}


def test_filling_the_board_without_four_in_a_row_is_a_draw() -> None:
    before = state_from_key(LAST_MOVE_DRAWS)

    step = GAME.step(before, {"Y": "1"})

    assert step.done
    assert step.state.key == FULL_DRAW
    assert step.state.winner is None
    assert step.rewards == {"R": 0.0, "Y": 0.0}


def test_to_move_is_empty_when_the_game_is_over() -> None:
    assert GAME.to_move(state_from_key(FULL_DRAW)) == ()
    assert GAME.to_move(play("1", "2", "1", "2", "1", "2", "1")) == ()


def test_scores_are_one_zero_for_a_win_and_half_each_for_a_draw() -> None:
    assert GAME.scores(play("1", "2", "1", "2", "1", "2", "1")) == {"R": 1.0, "Y": 0.0}
    assert GAME.scores(state_from_key(FULL_DRAW)) == {"R": 0.5, "Y": 0.5}


def test_a_game_stopped_early_stands_as_a_draw() -> None:
    assert GAME.scores(play("4")) == {"R": 0.5, "Y": 0.5}


def test_a_full_column_is_illegal_and_the_error_lists_the_legal_columns() -> None:
    state = play("1", "1", "1", "1", "1", "1")

    assert "1" not in GAME.legal_actions(state, "R")
    with pytest.raises(ValueError, match=r"column 1 is full \(legal: 2, 3, 4, 5, 6, 7\)"):
        GAME.step(state, {"R": "1"})


@pytest.mark.parametrize("action", ["0", "8", "04", "", "four"])
def test_a_move_that_is_not_a_canonical_column_is_illegal(action: str) -> None:
    with pytest.raises(ValueError, match=r"not a column \(columns are 1..7\)"):
        GAME.step(GAME.reset(0), {"R": action})


def test_a_move_by_the_player_not_to_move_raises() -> None:
    with pytest.raises(ValueError, match="it is R's turn; Y may not move now"):
        GAME.step(GAME.reset(0), {"Y": "4"})


def test_a_missing_action_for_the_mover_raises() -> None:
    with pytest.raises(ValueError, match="no action for R, whose turn it is"):
        GAME.step(GAME.reset(0), {})


def test_noop_is_not_a_move_in_a_turn_based_game() -> None:
    with pytest.raises(ValueError, match="'noop' is not a move"):
        GAME.step(GAME.reset(0), {"R": "noop"})


def test_stepping_a_finished_game_raises() -> None:
    with pytest.raises(ValueError, match=r"the game is over \(draw\)"):
        GAME.step(state_from_key(FULL_DRAW), {"R": "1"})


def test_both_players_get_the_observed_move_as_feedback() -> None:
    step = GAME.step(play("4"), {"Y": "3"})

    before = "......./......./......./......./......./...R..."
    after = "......./......./......./......./......./..YR..."
    expected = f"Y played 3 in {before}, giving {after}; R to move."
    assert step.feedback == {"R": expected, "Y": expected}


def test_observe_shows_the_board_the_player_and_whose_turn_it_is() -> None:
    text = GAME.observe(play("4", "3"), "Y")

    assert " 1 2 3 4 5 6 7\n" in text
    assert "|. . Y R . . .|" in text
    assert "You play Y. R to move." in text


def test_render_is_the_key() -> None:
    state = play("4", "3")

    assert GAME.render(state) == state.key


def test_every_position_round_trips_through_its_key() -> None:
    for state in midgame_states():
        assert state_from_key(state.key) == state


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("......./......./......./......./...R.../.......", "floats above an empty cell"),
        ("......./......./......./......./......./RR.....", "has 2 R and 0 Y"),
        ("......./......./RY...../RY...../RY...../RY.....", "only the player who moved last"),
        ("......./.......", "expected six rows"),
        ("......./......./......./......./......./...X...", "unexpected 'X'"),
    ],
)
def test_state_from_key_rejects_unreachable_or_malformed_keys(key: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        state_from_key(key)


# -- negamax -------------------------------------------------------------------------


def test_negamax_takes_an_immediate_win() -> None:
    state = play("2", "2", "3", "3", "4", "4")  # R has 2-3-4 on the bottom row

    assert set(best_moves(state)) == {"1", "5"}
    assert value(state) == 1.0


def test_negamax_blocks_an_immediate_loss() -> None:
    state = play("1", "1", "2", "2", "3")  # R threatens column 4

    assert best_moves(state) == ("4",)


def test_an_unstoppable_double_threat_is_a_loss() -> None:
    state = play("2", "2", "3", "3", "4")  # R threatens columns 1 and 5

    assert value_for(state, "Y") == -1.0


def test_the_empty_board_is_not_a_known_result_within_the_horizon() -> None:
    assert -1.0 < value(GAME.reset(0)) < 1.0


def test_a_finished_game_has_no_best_moves() -> None:
    state = play("1", "2", "1", "2", "1", "2", "1")

    assert best_moves(state) == ()
    assert value_for(state, "R") == 1.0


def test_a_search_depth_below_one_ply_is_rejected() -> None:
    with pytest.raises(ValueError, match="depth must be >= 1"):
        best_moves(GAME.reset(0), 0)


def _reference(state: ConnectFourState, depth: int) -> int:
    """The same search semantics as ``_negamax``, without pruning or bitboards."""
    if state.moves == 42:
        return 0
    legal = state.legal_moves()
    if any(state.play(m).winner for m in legal):
        return _negamax.WIN - state.moves
    passing = ConnectFourState(state.board, "Y" if state.to_play == "R" else "R", state.moves)
    threats = [m for m in legal if passing.play(m).winner]
    if len(threats) > 1:
        return -(_negamax.WIN - state.moves - 1)
    if depth == 0:
        pos, mask, _ = _negamax._bits(state.board)
        return _negamax._heuristic(pos, pos ^ mask, mask)
    return max(-_reference(state.play(m), depth - 1) for m in threats or legal)


def test_alpha_beta_finds_exactly_the_best_moves_of_a_full_search() -> None:
    for state in midgame_states(2):
        scores = {
            m: _negamax.WIN - state.moves if state.play(m).winner else -_reference(state.play(m), 2)
            for m in state.legal_moves()
        }
        top = max(scores.values())
        assert set(best_moves(state, 3)) == {m for m, s in scores.items() if s == top}


def test_a_negamax_policy_beats_random_play() -> None:
    for seed in range(6):
        side = "R" if seed % 2 == 0 else "Y"
        searcher, rand = NegamaxPolicy(depth=2), RandomPolicy(seed=seed)
        state = GAME.reset(0)
        while not state.done:
            state = state.play((searcher if state.to_play == side else rand).move(state))
        assert state.winner == side, seed


# -- parsers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("Move: 4", "4"),
        ("**Move:** column 4", "4"),
        ("Move for R: `5`", "5"),
        ("I must block.\nMove: 3 (blocks the row; 2 pieces high)", "3"),
        ("Move:\n\n7", "7"),
        ("Move: the centre", "4"),
        ("Move: column five", "5"),
        ("Move: 2\nActually that loses.\nMove: 6", "6"),
        ("4", "4"),
        ("Column 1.", "1"),
    ],
)
def test_parse_move_reads_real_llm_style_answers(text: str, column: str) -> None:
    assert parse_move(text) == column


@pytest.mark.parametrize(
    ("text", "column"),
    [("Opponent reply: 3", "3"), ("Y's move: column 6", "6"), ("Prediction: **2**", "2")],
)
def test_parse_reply_reads_real_llm_style_answers(text: str, column: str) -> None:
    assert parse_reply(text) == column


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Move: 8", "8 is not a column 1..7"),
        ("Move: 0", "0 is not a column 1..7"),
        ("Move: I'd play 3 rather than 5", "found several: 3, 5"),
        ("I think 4", "expected a line 'Move: <column>'"),
        ("Move: 4.5", "expected a line 'Move: <column>'"),
        ("Let me check every diagonal...", "expected a line 'Move: <column>'"),
    ],
)
def test_parse_move_rejects_answers_without_one_clear_column(text: str, problem: str) -> None:
    with pytest.raises(MalformedResponse, match=problem):
        parse_move(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Value: 0.35", 0.35),
        ("R is better here.\nValue: -0.20", -0.2),
        ("**Value:** 1", 1.0),
        ("Value: win", 1.0),
        ("-0.5", -0.5),
    ],
)
def test_parse_value_reads_numbers_and_outcome_words(text: str, expected: float) -> None:
    assert parse_value(text) == expected


@pytest.mark.parametrize("text", ["Value: -1.5", "Value: R is winning", "Value: ."])
def test_parse_value_rejects_out_of_range_or_unclear_values(text: str) -> None:
    with pytest.raises(MalformedResponse, match="expected a line 'Value:"):
        parse_value(text)


# -- memory facts ----------------------------------------------------------------------


def test_memory_facts_read_the_games_own_feedback() -> None:
    before = play("4")
    feedback = GAME.step(before, {"Y": "3"}).feedback["R"]

    assert memory_facts([feedback]) == {before.key: ("3",)}


def test_memory_facts_ignore_what_the_rules_forbid() -> None:
    full_column = play("1", "1", "1", "1", "1", "1")
    lines = [
        played_fact("R", "1", full_column.key),
        played_fact("Y", "2", full_column.key),
    ]

    assert memory_facts(lines) == {}


# -- the sim oracle ------------------------------------------------------------------


def test_a_perfect_sim_proposes_a_best_move_of_the_search() -> None:
    for state in midgame_states():
        for sample in range(2):
            move = WORLD.parse_move(state, ask(WORLD.propose_request(state, (), sample)))
            assert move.action in best_moves(state), state.key


def test_a_perfect_sim_predicts_a_best_reply_of_the_search() -> None:
    for state in midgame_states():
        reply = WORLD.parse_reply(state, ask(WORLD.predict_request(state, (), 0)))
        assert reply.action in best_moves(state), state.key


def test_a_perfect_sim_evaluates_with_the_search_value_for_either_player() -> None:
    for state in midgame_states():
        for player in ("R", "Y"):
            answer = ask(WORLD.evaluate_request(state, (), 0, player))
            assert WORLD.parse_value(answer) == pytest.approx(value_for(state, player), abs=0.005)


def test_an_observed_reply_in_memory_overrides_the_predicted_one() -> None:
    state = play("4", "4", "4")  # Y should stop R's column; Y was seen playing the edge
    memory = (played_fact("Y", "7", state.key),)
    assert "7" not in best_moves(state)

    for sample in range(5):
        reply = WORLD.parse_reply(state, ask(WORLD.predict_request(state, memory, sample)))
        assert reply.action == "7"


# R's best move here is 4; but Y was seen answering R's 5 with 1, after which R wins.
EXPLOITABLE = ("4", "3", "5", "2", "5", "2")


def test_proposals_exploit_an_observed_blunder() -> None:
    state = play(*EXPLOITABLE)
    memory = (played_fact("Y", "1", state.play("5").key),)
    assert best_moves(state) == ("4",)

    moves = {
        WORLD.parse_move(state, ask(WORLD.propose_request(state, memory, k))).action
        for k in range(5)
    }
    assert moves == {"5"}


def test_evaluate_values_a_position_by_the_opponents_observed_reply() -> None:
    state = play(*EXPLOITABLE, "5")
    memory = (played_fact("Y", "1", state.key),)

    assert WORLD.parse_value(ask(WORLD.evaluate_request(state, (), 0, "R"))) < 1.0
    assert WORLD.parse_value(ask(WORLD.evaluate_request(state, memory, 0, "R"))) == 1.0


def test_wrong_beliefs_are_the_same_in_every_sample() -> None:
    noise = NoiseModel.perfect(wrong_belief_rate=1.0)
    state = play("4", "3", "4")

    answers = {ask(WORLD.evaluate_request(state, (), k, "R"), noise) for k in range(5)}
    assert len(answers) == 1
    assert WORLD.parse_value(answers.pop()) != pytest.approx(value_for(state, "R"))


@pytest.mark.parametrize("kind", ["propose", "predict", "evaluate"])
def test_garbled_answers_raise_malformed_response(kind: str) -> None:
    for i, state in enumerate(midgame_states()):
        if kind == "propose":
            request = WORLD.propose_request(state, (), i)
        elif kind == "predict":
            request = WORLD.predict_request(state, (), i)
        else:
            request = WORLD.evaluate_request(state, (), i)
        garbled = ORACLE.garble(ask(request), random.Random(i))
        with pytest.raises(MalformedResponse):
            if kind == "propose":
                WORLD.parse_move(state, garbled)
            elif kind == "predict":
                WORLD.parse_reply(state, garbled)
            else:
                WORLD.parse_value(garbled)


def test_an_intent_kind_the_oracle_does_not_answer_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="does not answer 'reflect'"):
        ORACLE.respond(context("reflect", GAME.reset(0).key))


def test_an_unreadable_state_key_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="not a connect-four key"):
        ORACLE.respond(context("propose", ".../.X./..."))


def test_an_evaluate_intent_without_a_player_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="expected R or Y"):
        ORACLE.respond(context("evaluate", GAME.reset(0).key))


def test_an_oracle_searching_less_than_two_plies_is_rejected() -> None:
    with pytest.raises(ValueError, match="at least 2 plies"):
        ConnectFourOracle(depth=1)


@pytest.mark.anyio
async def test_sim_answers_parse_through_the_world_model(anyio_backend: Any) -> None:
    llm = SimLLM({"connect4": ORACLE}, seed=3, noise=PERFECT, latency=LatencyModel.fixed(0.5))
    state = play("4", "3")

    move = WORLD.parse_move(state, (await llm.complete(WORLD.propose_request(state, (), 0))).text)
    reply_text = (await llm.complete(WORLD.predict_request(move.predicted, (), 0))).text
    reply = WORLD.parse_reply(move.predicted, reply_text)
    value_text = (await llm.complete(WORLD.evaluate_request(reply.predicted, (), 0, "R"))).text

    assert move.action in best_moves(state)
    assert reply.action in best_moves(move.predicted)
    assert WORLD.parse_value(value_text) == pytest.approx(
        value_for(reply.predicted, "R"), abs=0.005
    )


# -- the world model -----------------------------------------------------------------


def test_requests_carry_the_key_the_player_and_the_memory() -> None:
    state = play("4")
    memory = ["Y played 3 in ......./......./......./......./......./...R..."]

    request = WORLD.predict_request(state, memory, 2)

    assert request.intent == Intent(
        kind="predict",
        scenario="connect4",
        state=state.key,
        memory=tuple(memory),
        sample=2,
        detail="Y",
    )
    assert memory[0] in request.messages[0].content


def test_evaluate_asks_for_the_player_who_just_moved_by_default() -> None:
    request = WORLD.evaluate_request(play("4"), (), 0)

    assert request.intent is not None and request.intent.detail == "R"


def test_a_move_into_a_full_column_is_a_malformed_response() -> None:
    state = play("1", "1", "1", "1", "1", "1")

    with pytest.raises(MalformedResponse, match=r"proposed move is not legal here: .*is full"):
        WORLD.parse_move(state, "Move: 1")


def test_outcome_scores_a_finished_game_by_the_rules() -> None:
    won = play("1", "2", "1", "2", "1", "2", "1")

    assert (WORLD.outcome(won, "R"), WORLD.outcome(won, "Y")) == (1.0, -1.0)
    assert WORLD.outcome(state_from_key(FULL_DRAW), "Y") == 0.0


def test_asking_for_an_outcome_before_the_end_raises() -> None:
    with pytest.raises(ValueError, match="the game is not over"):
        WORLD.outcome(play("4"), "R")
