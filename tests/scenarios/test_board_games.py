"""What the two-player board games (tic-tac-toe, Connect Four, Nim) share, checked for each.

Their rules, world model and sim oracle are one implementation
(``scenarios/_board``) fed each game's board; these tests run once per
game with that game's positions, so each game's own module keeps only its
board: its lines, notation, keys, search and parsers.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from scenario_support import PERFECT, ask, context, play

from rafa_async import MalformedResponse, ProviderError
from rafa_async.llm import Intent, LatencyModel, NoiseModel, SimLLM
from rafa_async.scenarios import connect4, nim, tictactoe


@dataclass(frozen=True)
class Board:
    """A board game and the positions the shared behaviour is shown on."""

    module: Any
    game: Any
    world: Any
    oracle: Any
    win: tuple[str, ...]
    """Moves after which the first player has won."""
    draw_before: str | None
    """The key of a position whose one legal move fills the board without a line;
    None for a game without draws."""
    opening: tuple[str, str]
    """A first move and the reply to it."""
    feedback: str
    """What both players are told after the reply."""
    observed: tuple[str, ...]
    """What the second player sees after the opening: the board, and the tail."""
    blunder: tuple[str, tuple[str, str, str], str]
    """A position's key, a fact of the opponent's bad reply after the move
    that exploits it, and that move."""
    seen_reply: tuple[tuple[str, ...], str]
    """Moves, and a reply the opponent was seen to make there that is no best move."""
    illegal: tuple[tuple[str, ...], str, str]
    """Moves, a move that is not legal after them, and why."""
    unreachable: tuple[str, str, str]
    """A fact (player, move, key) whose only fault is that no game reaches its position."""
    not_moves: tuple[tuple[str, ...], str]
    """Actions that name no move of the game, and what the error says."""
    midgame: Callable[[], list[Any]]
    """Positions well into a few random games."""

    @property
    def name(self) -> str:
        return str(self.game.name)

    @property
    def players(self) -> tuple[str, str]:
        first, second = self.game.players
        return first, second

    def play(self, *moves: str) -> Any:
        return play(self.game, *moves)

    def draw(self) -> tuple[Any, str] | None:
        """The position before a draw and the move that draws; None without draws."""
        if self.draw_before is None:
            return None
        state = self.module.state_from_key(self.draw_before)
        (move,) = state.legal_moves()
        return state, move


def random_positions(game: Any, games: int, keep: Callable[[Any], bool]) -> list[Any]:
    """The open positions ``keep`` accepts of a few games of seeded random moves."""
    states = []
    for seed in range(games):
        rng, state = random.Random(seed), game.reset(0)
        while not state.done:
            if keep(state):
                states.append(state)
            state = state.play(rng.choice(state.legal_moves()))
    return states


TTT = tictactoe.TicTacToe()
C4 = connect4.ConnectFour()
C4_EMPTY_ROWS = "......./" * 5
NIM = nim.Nim()
BOARDS = [
    Board(
        module=tictactoe,
        game=TTT,
        world=tictactoe.TicTacToeWorld(),
        oracle=tictactoe.TicTacToeOracle(),
        win=("a1", "a2", "b1", "b2", "c1"),
        draw_before="OXX/.OO/XOX",
        opening=("b2", "a1"),
        feedback="O played a1 in .../.X./..., giving .../.X./O..; X to move.",
        observed=("  a b c\n3 . . .\n2 . X .\n1 O . .", "You play O. X to move."),
        # X: a3, O: b2.  Seen: after X's c1, O replied a1 -- a blunder X wins against.
        blunder=("X../.O./...", ("O", "a1", "X../.O./..X"), "c1"),
        # O's best reply is an edge; O was seen playing a corner.
        seen_reply=(("a1", "b2", "c3"), "c1"),
        illegal=(("b2",), "b2", "b2 is taken by X"),
        unreachable=("O", "a1", "XX./.../..."),  # two Xs and no O
        not_moves=(("d1", "a4", "B2", "", "center"), r"not a cell \(cells are a1..c3\)"),
        midgame=lambda: random_positions(TTT, 8, lambda s: True),
    ),
    Board(
        module=connect4,
        game=C4,
        world=connect4.ConnectFourWorld(),
        oracle=connect4.ConnectFourOracle(),
        win=("1", "2", "1", "2", "1", "2", "1"),
        draw_before=".YRRYYR/RRYYRRY/YYRRYYR/RRYYRRY/YYRRYYR/RRYYRRY",
        opening=("4", "3"),
        feedback=(
            f"Y played 3 in {C4_EMPTY_ROWS}...R..., giving {C4_EMPTY_ROWS}..YR...; R to move."
        ),
        observed=(" 1 2 3 4 5 6 7\n", "|. . Y R . . .|", "You play Y. R to move."),
        # R's best move is 4; but Y was seen answering R's 5 with 1, after which R wins.
        blunder=(
            "......./......./......./......./.Y..R../.YYRR..",
            ("Y", "1", "......./......./......./....R../.Y..R../.YYRR.."),
            "5",
        ),
        # Y should stop R's column; Y was seen playing the edge.
        seen_reply=(("4", "4", "4"), "7"),
        illegal=(("1", "1", "1", "1", "1", "1"), "1", "column 1 is full"),
        unreachable=("Y", "2", "R....../......./......./......./......./......."),  # it floats
        not_moves=(("0", "8", "04", "", "four"), r"not a column \(columns are 1..7\)"),
        midgame=lambda: random_positions(C4, 3, lambda s: 4 <= s.moves < 20 and s.moves % 3 == 0),
    ),
    Board(
        module=nim,
        game=NIM,
        world=nim.NimWorld(),
        oracle=nim.NimOracle(),
        win=("1:3", "2:4", "3:5"),
        draw_before=None,
        opening=("2:1", "3:2"),
        feedback="B played 3:2 in 3,3,5/B, giving 3,3,3/A; A to move.",
        observed=("heap 1: ooo (3)\nheap 2: ooo (3)\nheap 3: ooo (3)", "You play B. A to move."),
        # A is lost here (nim-sum 0); but B was seen answering A's 3:1 with 2:1,
        # after which A wins.
        blunder=("1,2,3/A", ("B", "2:1", "1,2,2/B"), "3:1"),
        # B's only winning reply takes 1 from heap 1; B was seen emptying heap 3.
        seen_reply=(("1:1",), "3:5"),
        illegal=(("1:3",), "1:1", "heap 1 is empty"),
        unreachable=("B", "1:1", "2,9,5/B"),  # heap 2 starts with 4
        not_moves=(
            ("0:1", "1:0", "01:1", "2", "", "two"),
            r"not a move \(a move is <heap>:<count>",
        ),
        midgame=lambda: random_positions(NIM, 8, lambda s: True),
    ),
]


@pytest.fixture(params=BOARDS, ids=lambda b: b.name)
def board(request: pytest.FixtureRequest) -> Board:
    return request.param


def value(board: Board, state: Any, player: str, memory: tuple[str, ...] = (), **kw: Any) -> float:
    """The sim's value of ``state`` for ``player``, read by the world model."""
    request = board.world.evaluate_request(state, memory, kw.pop("sample", 0), player)
    return float(board.world.parse_value(ask(board.oracle, request, **kw)))


# -- the game --------------------------------------------------------------------------


def test_a_win_rewards_the_winner_one_and_the_loser_minus_one(board: Board) -> None:
    first, second = board.players
    before = board.play(*board.win[:-1])

    step = board.game.step(before, {first: board.win[-1]})

    assert before.winner is None and step.state.winner == first
    assert step.done and board.game.to_move(step.state) == ()
    assert step.rewards == {first: 1.0, second: -1.0}
    assert board.game.scores(step.state) == {first: 1.0, second: 0.0}


def test_moves_before_the_end_reward_nobody(board: Board) -> None:
    first, second = board.players

    step = board.game.step(board.game.reset(0), {first: board.opening[0]})

    assert not step.done
    assert step.rewards == {first: 0.0, second: 0.0}


def test_a_full_board_without_a_line_is_a_draw(board: Board) -> None:
    draw = board.draw()
    if draw is None:
        pytest.skip(f"{board.name} has no draws")
    before, move = draw

    step = board.game.step(before, {before.to_play: move})

    assert step.done and step.state.winner is None and board.game.to_move(step.state) == ()
    assert step.rewards == dict.fromkeys(board.players, 0.0)
    assert board.game.scores(step.state) == dict.fromkeys(board.players, 0.5)


def test_a_game_stopped_early_stands_as_a_draw(board: Board) -> None:
    assert board.game.scores(board.play(board.opening[0])) == dict.fromkeys(board.players, 0.5)


def test_moving_out_of_turn_twice_not_at_all_or_with_noop_is_refused(board: Board) -> None:
    first, second = board.players
    start, move = board.game.reset(0), board.opening[0]

    for actions, message in [
        ({second: move}, f"it is {first}'s turn; {second} may not move now"),
        ({first: move, second: board.opening[1]}, f"{second} may not move now"),
        ({}, f"no action for {first}, whose turn it is"),
        ({first: "noop"}, "'noop' is not a move"),
    ]:
        with pytest.raises(ValueError, match=message):
            board.game.step(start, actions)


def test_an_action_that_names_no_move_is_illegal(board: Board) -> None:
    actions, message = board.not_moves
    start = board.game.reset(0)

    for action in actions:
        with pytest.raises(ValueError, match=message):
            board.game.step(start, {start.to_play: action})


def test_stepping_a_finished_game_raises(board: Board) -> None:
    won = board.play(*board.win)

    with pytest.raises(ValueError, match=rf"the game is over \({board.players[0]} won\)"):
        board.game.step(won, {won.to_play: board.opening[0]})
    if (draw := board.draw()) is not None:
        before, move = draw
        drawn = before.play(move)
        with pytest.raises(ValueError, match=r"the game is over \(draw\)"):
            board.game.step(drawn, {drawn.to_play: move})


def test_both_players_are_told_the_observed_move(board: Board) -> None:
    before = board.play(board.opening[0])

    step = board.game.step(before, {before.to_play: board.opening[1]})

    assert step.feedback == dict.fromkeys(board.players, board.feedback)
    assert board.module.memory_facts([board.feedback]) == {before.key: (board.opening[1],)}


def test_memory_facts_keep_repeated_observations_in_order(board: Board) -> None:
    state = board.play(board.opening[0])
    legal = state.legal_moves()
    seen = [legal[-1], legal[0], legal[-1]]
    lines = [board.module.played_fact(state.to_play, move, state.key) for move in seen]

    assert board.module.memory_facts(lines) == {state.key: tuple(seen)}


def forbidden_fact(board: Board, why: str) -> tuple[str, str, str]:
    """A fact (player, move, key) that the rules contradict, for reason ``why``."""
    if why == "wrong-player":  # the first player has just moved; the second is to move
        return board.players[0], board.opening[1], board.play(board.opening[0]).key
    if why == "illegal-move":
        moves, move, _ = board.illegal
        state = board.play(*moves)
        return state.to_play, move, state.key
    return board.unreachable


@pytest.mark.parametrize("why", ["wrong-player", "illegal-move", "unreachable"])
def test_memory_facts_ignore_what_the_rules_forbid(board: Board, why: str) -> None:
    line = board.module.played_fact(*forbidden_fact(board, why))

    assert board.module.memory_facts([line]) == {}


def test_observe_shows_the_board_the_player_and_whose_turn_it_is(board: Board) -> None:
    text = board.game.observe(board.play(*board.opening), board.players[1])

    for fragment in board.observed:
        assert fragment in text


def test_a_position_is_its_key(board: Board) -> None:
    state = board.play(*board.opening)

    assert board.game.render(state) == state.key == board.world.key(state)
    assert board.world.state_from_key(state.key) == state
    assert len({state, board.play(*board.opening), board.play(board.opening[0])}) == 2
    for position in board.midgame():
        assert board.module.state_from_key(position.key) == position


# -- the sim oracle ----------------------------------------------------------------------


def test_a_perfect_sim_proposes_and_predicts_a_best_move_and_values_by_the_search(
    board: Board,
) -> None:
    world, oracle = board.world, board.oracle
    for state in board.midgame():
        best = board.module.best_moves(state)
        for sample in range(2):
            move = world.parse_move(state, ask(oracle, world.propose_request(state, (), sample)))
            assert move.action in best, state.key
        reply = world.parse_reply(state, ask(oracle, world.predict_request(state, (), 0)))
        assert reply.action in best, state.key
        for player in board.players:
            truth = board.module.value_for(state, player)
            assert value(board, state, player) == pytest.approx(truth, abs=0.005), state.key


def test_an_observed_reply_in_memory_overrides_the_predicted_one(board: Board) -> None:
    moves, seen = board.seen_reply
    state = board.play(*moves)
    memory = (board.module.played_fact(state.to_play, seen, state.key),)
    assert seen not in board.module.best_moves(state)

    for sample in range(5):
        request = board.world.predict_request(state, memory, sample)
        assert board.world.parse_reply(state, ask(board.oracle, request)).action == seen


def test_an_unheeded_observed_reply_leaves_the_prior_prediction(board: Board) -> None:
    moves, seen = board.seen_reply
    state = board.play(*moves)
    memory = (board.module.played_fact(state.to_play, seen, state.key),)
    deaf = NoiseModel.perfect(memory_adherence=0.0)

    for sample in range(5):
        request = board.world.predict_request(state, memory, sample)
        reply = board.world.parse_reply(state, ask(board.oracle, request, deaf)).action
        assert reply in board.module.best_moves(state)


def test_proposals_exploit_an_observed_blunder(board: Board) -> None:
    key, fact, exploit = board.blunder
    state = board.module.state_from_key(key)
    memory = (board.module.played_fact(*fact),)
    assert board.module.best_moves(state) != (exploit,)  # without memory, no reason to

    moves = {
        board.world.parse_move(
            state, ask(board.oracle, board.world.propose_request(state, memory, k))
        ).action
        for k in range(5)
    }
    assert moves == {exploit}


def test_the_critic_values_a_position_by_the_opponents_observed_reply(board: Board) -> None:
    key, fact, exploit = board.blunder
    state = board.module.state_from_key(key).play(exploit)
    memory = (board.module.played_fact(*fact),)
    first = board.players[0]

    truth = board.module.value_for(state, first)
    assert value(board, state, first) == pytest.approx(truth, abs=0.005) and truth < 1.0
    assert value(board, state, first, memory) == 1.0


def test_wrong_beliefs_are_the_same_in_every_sample(board: Board) -> None:
    noise = NoiseModel.perfect(wrong_belief_rate=1.0)
    state = board.play(board.opening[0])
    first = board.players[0]

    answers = {value(board, state, first, noise=noise, sample=k) for k in range(5)}
    assert len(answers) == 1
    assert answers.pop() != pytest.approx(board.module.value_for(state, first), abs=0.005)


def test_an_intent_for_the_wrong_player_is_a_provider_error(board: Board) -> None:
    first, second = board.players
    key = board.game.reset(0).key

    with pytest.raises(ProviderError, match=f"expected {first} or {second}"):
        board.oracle.respond(context("evaluate", board.name, key))
    with pytest.raises(ProviderError, match=f"names player '{second}', expected {first}"):
        board.oracle.respond(context("propose", board.name, key, detail=second))


@pytest.mark.anyio
async def test_sim_answers_parse_through_the_world_model(anyio_backend: Any, board: Board) -> None:
    world, first = board.world, board.players[0]
    llm = SimLLM({board.name: board.oracle}, seed=3, noise=PERFECT, latency=LatencyModel.fixed(0.5))
    state = board.play(*board.opening)

    move = world.parse_move(state, (await llm.complete(world.propose_request(state, (), 0))).text)
    reply_text = (await llm.complete(world.predict_request(move.predicted, (), 0))).text
    reply = world.parse_reply(move.predicted, reply_text)
    value_text = (await llm.complete(world.evaluate_request(reply.predicted, (), 0, first))).text

    assert move.action in board.module.best_moves(state)
    assert reply.action in board.module.best_moves(move.predicted)
    assert world.parse_value(value_text) == pytest.approx(
        board.module.value_for(reply.predicted, first), abs=0.005
    )


# -- the world model -----------------------------------------------------------------


def test_a_prediction_asks_about_the_opponent_and_the_critic_about_who_just_moved(
    board: Board,
) -> None:
    first, second = board.players
    state = board.play(board.opening[0])
    memory = [board.feedback]

    request = board.world.predict_request(state, memory, 2)

    assert request.intent == Intent(
        kind="predict",
        scenario=board.name,
        state=state.key,
        memory=tuple(memory),
        sample=2,
        detail=second,
    )
    assert memory[0] in request.messages[0].content
    evaluate = board.world.evaluate_request(state, (), 0)
    assert evaluate.intent is not None and evaluate.intent.detail == first


def test_an_illegal_proposed_move_is_a_malformed_response(board: Board) -> None:
    moves, move, why = board.illegal

    with pytest.raises(MalformedResponse, match=f"proposed move is not legal here: .*{why}"):
        board.world.parse_move(board.play(*moves), f"Move: {move}")


def test_outcome_scores_a_finished_game_by_the_rules(board: Board) -> None:
    first, second = board.players
    won = board.play(*board.win)

    assert (board.world.outcome(won, first), board.world.outcome(won, second)) == (1.0, -1.0)
    if (draw := board.draw()) is not None:
        before, move = draw
        assert board.world.outcome(before.play(move), second) == 0.0
