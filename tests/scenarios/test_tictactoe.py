"""Tic-tac-toe: rules, exact minimax, parsers, the sim oracle and the world model."""

from __future__ import annotations

import random
from typing import Any

import pytest

from rafa_async import MalformedResponse, ProviderError
from rafa_async.llm import Intent, LatencyModel, NoiseModel, SimContext, SimLLM
from rafa_async.scenarios.tictactoe import (
    PerfectPolicy,
    RandomPolicy,
    TicTacToe,
    TicTacToeOracle,
    TicTacToeState,
    TicTacToeWorld,
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

GAME = TicTacToe()
WORLD = TicTacToeWorld()
ORACLE = TicTacToeOracle()
PERFECT = NoiseModel.perfect()


def play(*moves: str) -> TicTacToeState:
    state = GAME.reset(0)
    for move in moves:
        state = GAME.step(state, {state.to_play: move}).state
    return state


def ask(request: Any, noise: NoiseModel = PERFECT, seed: int = 0) -> str:
    """The sim oracle's answer to a world request, without the async SimLLM."""
    intent = request.intent
    return ORACLE.respond(SimContext(intent, noise, seed, random.Random(intent.sample)))


def intent(kind: Any, state: str, detail: str = "", memory: tuple[str, ...] = ()) -> SimContext:
    it = Intent(kind=kind, scenario="tictactoe", state=state, memory=memory, detail=detail)
    return SimContext(it, PERFECT, 0, random.Random(0))


def midgame_states() -> list[TicTacToeState]:
    """Every non-final position of a few seeded random games."""
    states = []
    for seed in range(8):
        policy = RandomPolicy(seed=seed)
        state = GAME.reset(0)
        while not state.done:
            states.append(state)
            state = state.play(policy.move(state))
    return states


# -- rules ---------------------------------------------------------------------------


def test_x_moves_first_on_an_empty_board() -> None:
    state = GAME.reset(0)

    assert GAME.to_move(state) == ("X",)
    assert state.key == ".../.../..."


def test_reset_gives_the_same_board_for_any_seed() -> None:
    assert GAME.reset(0) == GAME.reset(12345)


def test_legal_actions_are_the_empty_cells_for_the_player_to_move() -> None:
    state = play("b2", "a1")

    assert GAME.legal_actions(state, "X") == ("b1", "c1", "a2", "c2", "a3", "b3", "c3")


def test_the_player_not_to_move_has_no_legal_actions() -> None:
    assert GAME.legal_actions(play("b2"), "X") == ()


@pytest.mark.parametrize(
    ("moves", "winner", "line"),
    [
        (("a1", "a2", "b1", "b2", "c1"), "X", ("a1", "b1", "c1")),
        (("a1", "b1", "a2", "b2", "a3"), "X", ("a1", "a2", "a3")),
        (("a1", "b1", "b2", "c1", "c3"), "X", ("a1", "b2", "c3")),
        (("c1", "a1", "b2", "b1", "a3"), "X", ("c1", "b2", "a3")),
        (("a1", "b1", "c3", "b2", "a3", "b3"), "O", ("b1", "b2", "b3")),
    ],
    ids=["row", "column", "diagonal", "anti-diagonal", "o-column"],
)
def test_three_in_a_line_wins(moves: tuple[str, ...], winner: str, line: tuple[str, ...]) -> None:
    state = play(*moves)

    assert state.winner == winner
    assert state.line == line
    assert state.done


def test_winning_move_rewards_winner_one_and_loser_minus_one() -> None:
    before = play("a1", "a2", "b1", "b2")

    step = GAME.step(before, {"X": "c1"})

    assert step.done
    assert step.rewards == {"X": 1.0, "O": -1.0}


def test_moves_before_the_end_reward_nobody() -> None:
    step = GAME.step(GAME.reset(0), {"X": "b2"})

    assert not step.done
    assert step.rewards == {"X": 0.0, "O": 0.0}


DRAW = ("a1", "b2", "c3", "b1", "b3", "a3", "c1", "c2", "a2")


def test_full_board_without_a_line_is_a_draw() -> None:
    before = play(*DRAW[:-1])

    step = GAME.step(before, {"X": DRAW[-1]})

    assert step.done
    assert step.state.winner is None
    assert step.rewards == {"X": 0.0, "O": 0.0}


def test_to_move_is_empty_when_the_game_is_over() -> None:
    assert GAME.to_move(play(*DRAW)) == ()
    assert GAME.to_move(play("a1", "a2", "b1", "b2", "c1")) == ()


def test_a_win_scores_one_for_the_winner_and_zero_for_the_loser() -> None:
    assert GAME.scores(play("a1", "a2", "b1", "b2", "c1")) == {"X": 1.0, "O": 0.0}


def test_a_draw_scores_half_each() -> None:
    assert GAME.scores(play(*DRAW)) == {"X": 0.5, "O": 0.5}


def test_a_game_stopped_early_stands_as_a_draw() -> None:
    assert GAME.scores(play("b2")) == {"X": 0.5, "O": 0.5}


def test_a_taken_cell_is_illegal_and_the_error_lists_the_legal_moves() -> None:
    with pytest.raises(ValueError, match=r"b2 is taken by X \(legal: a1, .*c3\)"):
        GAME.step(play("b2"), {"O": "b2"})


@pytest.mark.parametrize("action", ["d1", "a4", "B2", "", "center"])
def test_a_move_that_is_not_a_canonical_cell_is_illegal(action: str) -> None:
    with pytest.raises(ValueError, match=r"not a cell \(cells are a1..c3\)"):
        GAME.step(GAME.reset(0), {"X": action})


def test_a_move_by_the_player_not_to_move_raises() -> None:
    with pytest.raises(ValueError, match="it is X's turn; O may not move now"):
        GAME.step(GAME.reset(0), {"O": "b2"})


def test_an_extra_action_beside_the_movers_raises() -> None:
    with pytest.raises(ValueError, match="O may not move now"):
        GAME.step(GAME.reset(0), {"X": "b2", "O": "a1"})


def test_a_missing_action_for_the_mover_raises() -> None:
    with pytest.raises(ValueError, match="no action for X, whose turn it is"):
        GAME.step(GAME.reset(0), {})


def test_noop_is_not_a_move_in_a_turn_based_game() -> None:
    with pytest.raises(ValueError, match="'noop' is not a move"):
        GAME.step(GAME.reset(0), {"X": "noop"})


def test_stepping_a_finished_game_raises() -> None:
    with pytest.raises(ValueError, match=r"the game is over \(X won\)"):
        GAME.step(play("a1", "a2", "b1", "b2", "c1"), {"O": "c3"})


def test_an_unknown_player_has_no_legal_actions_but_an_error() -> None:
    with pytest.raises(ValueError, match="unknown player 'Z'"):
        GAME.legal_actions(GAME.reset(0), "Z")


def test_both_players_get_the_observed_move_as_feedback() -> None:
    step = GAME.step(play("b2"), {"O": "a1"})

    expected = "O played a1 in .../.X./..., giving .../.X./O..; X to move."
    assert step.feedback == {"X": expected, "O": expected}


def test_observe_shows_the_board_the_player_and_whose_turn_it_is() -> None:
    text = GAME.observe(play("b2", "a1"), "O")

    assert "  a b c\n3 . . .\n2 . X .\n1 O . ." in text
    assert "You play O. X to move." in text


def test_render_is_the_key() -> None:
    state = play("b2", "a1")

    assert GAME.render(state) == state.key == ".../.X./O.."


def test_every_position_round_trips_through_its_key() -> None:
    for state in midgame_states():
        assert state_from_key(state.key) == state


def test_states_are_hashable_and_equal_by_value() -> None:
    assert len({play("b2", "a1"), play("b2", "a1"), play("a1")}) == 2


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("XX./.../...", "has 2 X and 0 O"),
        ("OO./X../...", "has 1 X and 2 O"),
        ("XXX/OOO/...", "only the player who moved last"),
        ("X../...", "expected three rows"),
        ("X../.Z./...", "unexpected 'Z'"),
    ],
)
def test_state_from_key_rejects_unreachable_or_malformed_keys(key: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        state_from_key(key)


# -- minimax -------------------------------------------------------------------------


def test_the_empty_board_is_a_draw_with_perfect_play() -> None:
    assert value(GAME.reset(0)) == 0.0


def test_an_immediate_win_is_the_only_best_move() -> None:
    # X: a3 b3, O: a2 b2; X to move wins on c3 (O would win on c2 next).
    state = state_from_key("XX./OO./...")

    assert best_moves(state) == ("c3",)
    assert value(state) == 1.0


def test_an_immediate_threat_is_blocked() -> None:
    # X threatens c3 (a1-b2-c3); O must take it.
    state = play("a1", "b1", "b2")

    assert best_moves(state) == ("c3",)


@pytest.mark.parametrize("reply", ["b1", "c1", "a2", "c2", "a3", "b3", "c3"])
def test_any_reply_to_a_corner_but_the_centre_loses(reply: str) -> None:
    assert value_for(play("a1", reply), "X") == 1.0


def test_the_centre_reply_to_a_corner_holds_the_draw() -> None:
    assert value_for(play("a1", "b2"), "X") == 0.0


def test_a_won_game_is_lost_for_the_player_to_move() -> None:
    state = play("a1", "a2", "b1", "b2", "c1")

    assert value(state) == -1.0
    assert value_for(state, "X") == 1.0
    assert best_moves(state) == ()


def test_perfect_play_against_perfect_play_always_draws() -> None:
    for seed in [None, *range(20)]:
        x, o = PerfectPolicy(seed=seed), PerfectPolicy(seed=None if seed is None else seed + 100)
        state = GAME.reset(0)
        while not state.done:
            state = state.play((x if state.to_play == "X" else o).move(state))
        assert state.winner is None, seed


def test_perfect_play_never_loses_to_random_play_in_200_games() -> None:
    results = []
    for seed in range(200):
        perfect_side = "X" if seed % 2 == 0 else "O"
        perfect, rand = PerfectPolicy(), RandomPolicy(seed=seed)
        state = GAME.reset(0)
        while not state.done:
            policy = perfect if state.to_play == perfect_side else rand
            state = state.play(policy.move(state))
        results.append(GAME.scores(state)[perfect_side])
    assert min(results) >= 0.5
    assert results.count(1.0) > 150


def test_policies_refuse_to_move_in_a_finished_game() -> None:
    with pytest.raises(ValueError, match="no move in a finished game"):
        PerfectPolicy().move(play(*DRAW))


# -- parsers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("Move: b2", "b2"),
        ("**Move:** B2", "b2"),
        ("Move for X: `c1`", "c1"),
        ("I must block the diagonal.\nMove: c3 (blocks a1-b2-c3)", "c3"),
        ("Move:\n\na3", "a3"),
        ("Move: the centre", "b2"),
        ("Move: top left corner", "a3"),
        ("Move: a1\nOn reflection that loses.\nMove: c1", "c1"),
        ("b2", "b2"),
        ("- b2", "b2"),
        ("Bottom right.", "c1"),
    ],
)
def test_parse_move_reads_real_llm_style_answers(text: str, cell: str) -> None:
    assert parse_move(text) == cell


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("Opponent reply: a1", "a1"),
        ("O's move: c3", "c3"),
        ("Predicted reply for O: **b2**", "b2"),
        ("Prediction: bottom left", "a1"),
    ],
)
def test_parse_reply_reads_real_llm_style_answers(text: str, cell: str) -> None:
    assert parse_reply(text) == cell


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Move: d4", "naming one cell a1..c3"),
        ("Move: I'd play c1, not a1", "found several cells: a1, c1"),
        ("I'd play b2", "expected a line 'Move: <cell>'"),
        ("Let me think about this position...", "expected a line 'Move: <cell>'"),
        ("Move: ", "expected a line 'Move: <cell>'"),
    ],
)
def test_parse_move_rejects_answers_without_one_clear_cell(text: str, problem: str) -> None:
    with pytest.raises(MalformedResponse, match=problem):
        parse_move(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Value: 0.5", 0.5),
        ("X can force a win.\nValue: 1", 1.0),
        ("**Value:** -1.0", -1.0),
        ("Value for O: 1/2", 0.5),
        ("Score: −0.25", -0.25),
        ("Value: draw (neither side can win)", 0.0),
        ("Value: loss", -1.0),
        ("win", 1.0),
        ("0.75", 0.75),
        ("-1", -1.0),
        ("- Value: -0.5", -0.5),
    ],
)
def test_parse_value_reads_numbers_and_outcome_words(text: str, expected: float) -> None:
    assert parse_value(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Value: 1.5", "1.5 is outside"),
        ("Value: X is winning", "expected a line 'Value:"),
        ("Value: not sure", "expected a line 'Value:"),
        ("X can force a win.", "expected a line 'Value:"),
        ("Value: ", "expected a line 'Value:"),
    ],
)
def test_parse_value_rejects_out_of_range_or_unclear_values(text: str, problem: str) -> None:
    with pytest.raises(MalformedResponse, match=problem):
        parse_value(text)


# -- memory facts ----------------------------------------------------------------------


def test_memory_facts_read_the_games_own_feedback() -> None:
    feedback = GAME.step(play("b2"), {"O": "a1"}).feedback["X"]

    assert memory_facts([feedback]) == {".../.X./...": ("a1",)}


def test_memory_facts_keep_repeated_observations_in_order() -> None:
    lines = [played_fact("O", "a1", ".../.X./..."), played_fact("O", "c3", ".../.X./...")]

    assert memory_facts(lines) == {".../.X./...": ("a1", "c3")}


@pytest.mark.parametrize(
    "line",
    ["X played a1 in .../.X./...", "O played b2 in .../.X./...", "O played a1 in XX./.../..."],
    ids=["wrong-player", "taken-cell", "unreachable"],
)
def test_memory_facts_ignore_what_the_rules_forbid(line: str) -> None:
    assert memory_facts([line]) == {}


# -- the sim oracle ------------------------------------------------------------------


def test_a_perfect_sim_proposes_a_minimax_move() -> None:
    for state in midgame_states():
        for sample in range(3):
            move = WORLD.parse_move(state, ask(WORLD.propose_request(state, (), sample)))
            assert move.action in best_moves(state), state.key


def test_a_perfect_sim_predicts_a_minimax_reply() -> None:
    for state in midgame_states():
        reply = WORLD.parse_reply(state, ask(WORLD.predict_request(state, (), 0)))
        assert reply.action in best_moves(state), state.key


def test_a_perfect_sim_evaluates_with_the_minimax_value_for_either_player() -> None:
    for state in midgame_states():
        for player in ("X", "O"):
            answer = ask(WORLD.evaluate_request(state, (), 0, player))
            assert WORLD.parse_value(answer) == value_for(state, player), state.key


def test_an_observed_reply_in_memory_overrides_the_predicted_one() -> None:
    state = play("a1", "b2", "c3")  # O's best reply is an edge; O was seen playing a corner
    memory = (played_fact("O", "c1", state.key),)
    assert "c1" not in best_moves(state)

    for sample in range(5):
        reply = WORLD.parse_reply(state, ask(WORLD.predict_request(state, memory, sample)))
        assert reply.action == "c1"


def test_proposals_exploit_an_observed_blunder() -> None:
    # X: a3, O: b2.  Seen: after X's c1, O replied a1 -- a blunder X wins against.
    state = state_from_key("X../.O./...")
    memory = (played_fact("O", "a1", "X../.O./..X"),)

    moves = {
        WORLD.parse_move(state, ask(WORLD.propose_request(state, memory, k))).action
        for k in range(5)
    }
    assert moves == {"c1"}


def test_evaluate_values_a_position_by_the_opponents_observed_reply() -> None:
    state = state_from_key("X../.O./..X")  # a draw with best play; O was seen blundering
    memory = (played_fact("O", "a1", state.key),)

    assert WORLD.parse_value(ask(WORLD.evaluate_request(state, (), 0, "X"))) == 0.0
    assert WORLD.parse_value(ask(WORLD.evaluate_request(state, memory, 0, "X"))) == 1.0


def test_wrong_beliefs_are_the_same_in_every_sample() -> None:
    noise = NoiseModel.perfect(wrong_belief_rate=1.0)
    state = play("b2")

    answers = {ask(WORLD.evaluate_request(state, (), k, "X"), noise) for k in range(5)}
    assert len(answers) == 1
    assert WORLD.parse_value(answers.pop()) != value_for(state, "X")


@pytest.mark.parametrize("kind", ["propose", "predict", "evaluate"])
def test_garbled_answers_raise_malformed_response(kind: str) -> None:
    parse = {
        "propose": lambda s, t: WORLD.parse_move(s, t),
        "predict": lambda s, t: WORLD.parse_reply(s, t),
        "evaluate": lambda s, t: WORLD.parse_value(t),
    }[kind]
    for i, state in enumerate(midgame_states()[:12]):
        request = {
            "propose": WORLD.propose_request(state, (), i),
            "predict": WORLD.predict_request(state, (), i),
            "evaluate": WORLD.evaluate_request(state, (), i),
        }[kind]
        garbled = ORACLE.garble(ask(request), random.Random(i))
        with pytest.raises(MalformedResponse):
            parse(state, garbled)


def test_an_intent_kind_the_oracle_does_not_answer_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="does not answer 'solve'"):
        ORACLE.respond(intent("solve", ".../.../..."))


def test_an_unreadable_state_key_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="not a tic-tac-toe key"):
        ORACLE.respond(intent("propose", "4 9 10 13"))


def test_an_evaluate_intent_without_a_player_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="expected X or O"):
        ORACLE.respond(intent("evaluate", ".../.../..."))


def test_a_propose_intent_for_the_wrong_player_is_a_provider_error() -> None:
    with pytest.raises(ProviderError, match="names player 'O', expected X"):
        ORACLE.respond(intent("propose", ".../.../...", detail="O"))


@pytest.mark.anyio
async def test_sim_answers_parse_through_the_world_model(anyio_backend: Any) -> None:
    llm = SimLLM({"tictactoe": ORACLE}, seed=3, noise=PERFECT, latency=LatencyModel.fixed(0.5))
    state = play("a1", "b2")

    move = WORLD.parse_move(state, (await llm.complete(WORLD.propose_request(state, (), 0))).text)
    reply_text = (await llm.complete(WORLD.predict_request(move.predicted, (), 0))).text
    reply = WORLD.parse_reply(move.predicted, reply_text)
    value_text = (await llm.complete(WORLD.evaluate_request(reply.predicted, (), 0, "X"))).text

    assert move.action in best_moves(state)
    assert reply.action in best_moves(move.predicted)
    assert WORLD.parse_value(value_text) == value_for(reply.predicted, "X")


# -- the world model -----------------------------------------------------------------


def test_requests_carry_the_key_the_player_and_the_memory() -> None:
    state = play("b2")
    memory = ["O played a1 in X../.../..."]

    request = WORLD.predict_request(state, memory, 4)

    assert request.intent == Intent(
        kind="predict",
        scenario="tictactoe",
        state=".../.X./...",
        memory=tuple(memory),
        sample=4,
        detail="O",
    )
    assert memory[0] in request.messages[0].content


def test_evaluate_asks_for_the_player_who_just_moved_by_default() -> None:
    request = WORLD.evaluate_request(play("b2"), (), 0)

    assert request.intent is not None and request.intent.detail == "X"


def test_an_illegal_proposed_move_is_a_malformed_response() -> None:
    with pytest.raises(MalformedResponse, match=r"proposed move is not legal here: .*b2 is taken"):
        WORLD.parse_move(play("b2"), "Move: b2")


def test_asking_for_a_move_in_a_finished_game_raises() -> None:
    with pytest.raises(ValueError, match="the game is over"):
        WORLD.propose_request(play(*DRAW), (), 0)


def test_outcome_scores_a_finished_game_by_the_rules() -> None:
    won = play("a1", "a2", "b1", "b2", "c1")

    assert (WORLD.outcome(won, "X"), WORLD.outcome(won, "O")) == (1.0, -1.0)
    assert WORLD.outcome(play(*DRAW), "O") == 0.0


def test_the_world_rebuilds_a_state_from_its_key() -> None:
    state = play("b2", "a1", "c3")

    assert WORLD.state_from_key(WORLD.key(state)) == state
